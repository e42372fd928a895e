"""Agents' sessions end at the end of the working day (SESSION_END_OF_DAY, local time) and
never last more than SESSION_MAX_HOURS: a console left logged in overnight on a shared
tablet is logged out. The cookie itself ends when the browser closes
(SESSION_EXPIRE_AT_BROWSER_CLOSE), so the deadline lives in the session, checked here."""

from __future__ import annotations

import datetime as dt

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

ENDS_AT = "carrefour_ends_at"  # POSIX seconds


def session_end(now: dt.datetime, end_of_day: str, max_hours: int) -> dt.datetime:
    """The next `end_of_day` ("HH:MM", local time) after `now`, at most `max_hours` away
    ("" for no end of day: the test and demo servers, whose runs may cross it)."""
    local = timezone.localtime(now)
    if not end_of_day:
        return local + dt.timedelta(hours=max_hours)
    hour, minute = (int(part) for part in end_of_day.split(":"))
    end = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if end <= local:  # logged in after the end of the day: tomorrow's, capped below
        end = timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=1),
                                                      end.time()))
    return min(end, local + dt.timedelta(hours=max_hours))


@receiver(user_logged_in, dispatch_uid="carrefour-session-end")
def set_session_end(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    end = session_end(timezone.now(), settings.SESSION_END_OF_DAY, settings.SESSION_MAX_HOURS)
    request.session[ENDS_AT] = end.timestamp()


def end_stale_session(request) -> None:
    """Log out a session past its deadline, or one logged in without a deadline (before
    this rule: such sessions lasted two weeks)."""
    session = request.session
    if SESSION_KEY not in session:
        return
    ends_at = session.get(ENDS_AT)
    if ends_at is None or timezone.now().timestamp() >= ends_at:
        session.flush()
        request.user = AnonymousUser()


class WorkingDaySessionMiddleware:
    """After the session and authentication middleware; sync and async (ASGI)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:  # kiosks and visitors: none
            end_stale_session(request)
        return self.get_response(request)

    async def __acall__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            await sync_to_async(end_stale_session)(request)
        return await self.get_response(request)
