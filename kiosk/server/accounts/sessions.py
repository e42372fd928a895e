"""Agents' sessions end at the end of the working day (SESSION_END_OF_DAY, local time) and
never last more than SESSION_MAX_HOURS: a console left logged in overnight on a shared
tablet is logged out. The cookie itself ends when the browser closes
(SESSION_EXPIRE_AT_BROWSER_CLOSE), so the deadline lives in the session, checked here."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from kiosk.server.middleware import BothModesMiddleware

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


class WorkingDaySessionMiddleware(BothModesMiddleware):
    """After the session and authentication middleware; sync and async (ASGI)."""

    def before_blocks(self, request) -> bool:
        # The session is read from the database; kiosks and visitors have none.
        return settings.SESSION_COOKIE_NAME in request.COOKIES

    def before(self, request):
        if self.before_blocks(request):
            end_stale_session(request)
        return None
