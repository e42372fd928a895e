"""Middleware that works in both of Django's modes.

Under ASGI a single sync-only middleware makes Django run the rest of the chain, the view
included, inside a thread that waits for it: an async long-poll would then hold a thread
after all. These keep the whole chain async-capable.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.middleware.security import SecurityMiddleware
from whitenoise.middleware import WhiteNoiseMiddleware


class BothModesMiddleware:
    """A middleware as two hooks, run in Django's sync and async modes alike: `before(request)`
    may answer instead of the view; `after(request, response)` may change the answer.
    `before_blocks(request)`: `before` would do database I/O for this request; in async mode
    it then runs in a thread (only then: a kiosk's request never hops)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def before(self, request):
        return None

    def before_blocks(self, request) -> bool:
        return False

    def after(self, request, response):
        return response

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        answer = self.before(request)
        if answer is None:
            answer = self.get_response(request)
        return self.after(request, answer)

    async def __acall__(self, request):
        if self.before_blocks(request):
            answer = await sync_to_async(self.before)(request)
        else:
            answer = self.before(request)
        if answer is None:
            answer = await self.get_response(request)
        return self.after(request, answer)


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise (static files served by the app itself), sync and async."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None):
        super().__init__(get_response)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve)(static_file, request)
        return await self.get_response(request)


class InlineSecurityMiddleware(SecurityMiddleware):
    """Django's SecurityMiddleware (HTTPS redirect, HSTS, nosniff...) run on the event loop:
    both of its steps only read settings and set headers, no I/O, so no hop to a thread."""

    async def __acall__(self, request):
        response = self.process_request(request)
        if response is None:
            response = await self.get_response(request)
        return self.process_response(request, response)


def long_poll_chain(get_response):
    """The middleware of the content long-poll (kiosk/server/asgi.py): a kiosk's bearer-token
    JSON answer needs the security headers, not sessions, CSRF, locale or messages."""
    from kiosk.server.security import ContentSecurityPolicyMiddleware

    return ContentSecurityPolicyMiddleware(InlineSecurityMiddleware(get_response))
