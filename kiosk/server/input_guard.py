"""The safety net under every form, list filter and search box, for NUL (U+0000).

PostgreSQL cannot store or even compare a string holding NUL: psycopg refuses it, and a
search `?q=%00` in the back-office, a forged form field or cookie would be a 500 there
(SQLite accepts it, which is why it went unseen). Nobody types a NUL, so:
- in the query string or a cookie: the request is answered 400 before any view runs;
- in a posted form field (never file contents): the NUL is removed, and the view and its
  form check what is left, as for any input (the back-office forms also report the other
  control characters, kiosk/server/clean_forms.py; the public proposal form drops them).
Paths are the views' business: each checks the shape of its ids before any query (a junk
ticket link is a 404, tests/security/test_phone_links.py). The API's JSON bodies go
through its schemas (kiosk/server/api/schemas.py).
Sync and async capable, as every middleware here (kiosk/server/middleware.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict

from kiosk.server.middleware import BothModesMiddleware

MESSAGE = "NUL character (U+0000) in the request: refused."
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)
                                    if isinstance(v, str))
               for key in values)


def refused(request: HttpRequest) -> HttpResponse | None:
    """The 400 for a NUL in the query string or a cookie, else None."""
    if not _has_nul(request.GET) and not any("\x00" in k or "\x00" in v
                                             for k, v in request.COOKIES.items()):
        return None
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": MESSAGE}, status=400)
    return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")


def drop_nul_from_form(request: HttpRequest) -> None:
    if request.method != "POST" or request.content_type not in FORMS:
        return
    try:
        posted = request.POST
    except Exception:  # a malformed form: the view's own parsing answers it, as before
        return
    if not _has_nul(posted):
        return
    cleaned = QueryDict(mutable=True)
    for key in posted:
        cleaned.setlist(key.replace("\x00", ""),
                        [v.replace("\x00", "") if isinstance(v, str) else v
                         for v in posted.getlist(key)])
    cleaned._mutable = False
    request._post = cleaned


class InputGuardMiddleware(BothModesMiddleware):
    # Reading the form is no blocking I/O: the ASGI handler has the body already.

    def before(self, request):
        if (answer := refused(request)) is not None:
            return answer
        drop_nul_from_form(request)
        return None
