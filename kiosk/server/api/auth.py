"""Per-kiosk bearer tokens (created and revoked by agents in the back-office)."""

from ninja.security import HttpBearer

from kiosk.server.devices.models import Kiosk


class KioskBearer(HttpBearer):
    def authenticate(self, request, token: str):
        kiosk = Kiosk.objects.authenticate(token)
        if kiosk is None:
            return None
        kiosk.seen()
        request.kiosk = kiosk
        return kiosk
