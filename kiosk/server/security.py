"""Security headers Django does not set by itself: Content-Security-Policy, Permissions-Policy.

Django's SecurityMiddleware already sends X-Content-Type-Options: nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy and HSTS; XFrameOptionsMiddleware sends X-Frame-Options: DENY.

The policy allows scripts only from our own origin (the pages load `static/web/*.js`; the
state they start from is a `<script type="application/json">` block, which is data, never
executed), images from our origin and `data:` URLs (QR codes), sounds the board synthesises,
and no framing at all. Inline styles stay allowed (`style-src 'unsafe-inline'`): the QR
code's SVG and the statistics page carry some, and styles cannot run code; inline and
injected scripts are what the policy shuts out.
"""

from __future__ import annotations

from django.conf import settings

from kiosk.server.middleware import BothModesMiddleware

DEFAULT_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def content_security_policy() -> str:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", "default")
    return DEFAULT_POLICY if policy == "default" else policy


class ContentSecurityPolicyMiddleware(BothModesMiddleware):
    # Both modes: under ASGI a sync-only middleware would hold a thread for each async
    # long-poll below it (kiosk/server/middleware.py).

    def after(self, request, response):
        return self.decorate(response)

    def decorate(self, response):
        policy = content_security_policy()
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
