"""The safety net under every form, list filter and search box: a request carrying a NUL
character (query string, cookies, form fields; never file contents) is answered 400
before any view runs. Paths are the views' business: each checks the shape of its ids
before any query (a junk ticket link is a 404, tests/security/test_phone_links.py).

PostgreSQL cannot store or even compare a string holding NUL: psycopg refuses it, and a
search `?q=%00` in the back-office, a forged form field or cookie would be a 500 there
(SQLite accepts it, which is why it went unseen). Nobody types a NUL: refusing the
request is the clear answer. Other control characters, bidi controls and zero-width
characters are the forms' and the API schemas' business (kiosk/domain/text_input.py).
Sync and async capable, as every middleware here (kiosk/server/middleware.py).
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGE = "NUL character (U+0000) in the request: refused."
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)
                                    if isinstance(v, str))
               for key in values)


def carries_nul(request: HttpRequest) -> bool:
    if _has_nul(request.GET):
        return True
    if any("\x00" in k or "\x00" in v for k, v in request.COOKIES.items()):
        return True
    if request.method != "POST" or request.content_type not in FORMS:
        return False
    try:
        return _has_nul(request.POST)
    except Exception:  # a malformed form: the view's own parsing answers it, as before
        return False


def refused(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": MESSAGE}, status=400)
    return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")


class InputGuardMiddleware:
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
        if carries_nul(request):
            return refused(request)
        return self.get_response(request)

    async def __acall__(self, request):
        # Reading the form here is no blocking I/O: the ASGI handler has the body already.
        if carries_nul(request):
            return refused(request)
        return await self.get_response(request)
