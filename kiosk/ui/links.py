"""Links to the server's public pages, for the visitor's phone (the QR codes of the service,
offer and proposal screens): in the visitor's language, with the kiosk's site, since one
server serves several mairies whose pages share slugs (kiosk.server.web.sites)."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def public_url(app, path: str) -> str:
    """`path` on the server ("/s/naissance"), "" when the kiosk has no server."""
    if app.transport is None:
        return ""
    params = {"lang": app.language}
    site = getattr(app.settings, "site", "")
    if site:
        params["site"] = site
    return f"{app.settings.server_url.rstrip('/')}{quote(path)}?{urlencode(params)}"
