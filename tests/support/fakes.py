"""An in-memory server behind the kiosk's transport seam (kiosk.ports.KioskTransport), in full.

For the kiosk-side tests that need a server's answers but not HTTP (tests/sync/test_ports.py
checks that it has every member of the Protocol, with the same parameters). Each call is
recorded in `calls`; `fail[name] = exc` makes that call raise `exc` (a TransportError for
the network, anything else for a bug); `long_poll(since, wait)` answers the content
long-poll (default: "nothing changed").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from kiosk.ports import ContentChanges, ContentDelta, TransportError


class FakeTransport:
    def __init__(self, base_url: str = "http://kiosk-server.test"):
        self.base_url = base_url
        self.cursor = "1"
        self.items: list[dict] = []
        self.assets: dict[str, bytes] = {}  # sha256 -> bytes
        self.calls: list[tuple[str, tuple]] = []
        self.fail: dict[str, BaseException] = {}
        self.long_poll: Callable[[str, float], ContentChanges] = (
            lambda since, wait: ContentChanges(self.cursor, since != self.cursor, 40))
        self.tickets: dict[str, dict] = {}  # idempotency key -> ticket
        self.heartbeats: list[dict] = []
        self.carnets: dict[str, int] = {}  # live carnet code -> procedures in it
        self.slots: list[str] = []  # the appointments' times open for check-in, "HH:MM"

    def _call(self, name: str, *args) -> None:
        self.calls.append((name, args))
        if name in self.fail:
            raise self.fail[name]

    def get_content(self, since: str | None, etag: str | None = None) -> ContentDelta | None:
        self._call("get_content", since, etag)
        if since == self.cursor:
            return None
        return ContentDelta(cursor=self.cursor, items=list(self.items), deleted=[], full=True,
                            more=False, etag=f'"{self.cursor}"', size=100)

    def wait_for_changes(self, since: str, wait: float = 25.0) -> ContentChanges:
        self._call("wait_for_changes", since, wait)
        return self.long_poll(since, wait)

    def create_ticket(self, payload: dict, idempotency_key: str) -> dict:
        self._call("create_ticket", payload, idempotency_key)
        if idempotency_key not in self.tickets:  # a replay answers the same ticket
            number = len(self.tickets) + 1
            token = hashlib.sha256(idempotency_key.encode()).hexdigest()[:22]
            self.tickets[idempotency_key] = {
                "id": token, "number": f"A{number:03d}", "service": payload["service"],
                "status": "waiting", "position": number, "ahead": number - 1,
                "estimated_wait_minutes": None, "counter": None,
                "phone_url": f"{self.base_url}/t/{token}", "created_at": "2026-03-03T09:00:00+01:00",
                "called_at": None, "sms": bool(payload.get("phone"))}
        return self.tickets[idempotency_key]

    def check_carnet(self, code: str) -> dict:
        self._call("check_carnet", code)
        if code not in self.carnets:
            raise TransportError("GET /carnets: 404", retryable=False, status=404)
        return {"ok": True, "procedures": self.carnets[code]}

    def checkin_appointment(self, payload: dict) -> dict:
        self._call("checkin_appointment", payload)
        if payload.get("code") != "482913":
            raise TransportError("POST /appointments/checkin: 404", retryable=False, status=404)
        return {"number": "R001", "id": "t" * 22, "service": "titres", "lane": True,
                "slot": "10:20", "minutes_to_slot": 12, "created": True, "phone_url": ""}

    def appointment_slots(self) -> list[str]:
        self._call("appointment_slots")
        return list(self.slots)

    def create_lease(self, payload: dict, idempotency_key: str) -> dict:
        self._call("create_lease", payload, idempotency_key)
        return {"service": payload["service"], "day": "2026-03-03", "first": 1,
                "last": payload["size"], "prefix": "Z"}

    def ticket_status(self, ticket_id: str) -> dict:
        self._call("ticket_status", ticket_id)
        found = [t for t in self.tickets.values() if t["id"] == ticket_id]
        if not found:
            raise TransportError("no such ticket", retryable=False, status=404)
        return found[0]

    def request_assistance(self, payload: dict, idempotency_key: str) -> dict:
        self._call("request_assistance", payload, idempotency_key)
        return {"id": f"as-{idempotency_key[:8]}", "status": "open", "agent": None}

    def submit_contribution(self, payload: dict, idempotency_key: str) -> dict:
        self._call("submit_contribution", payload, idempotency_key)
        return {"id": f"co-{idempotency_key[:8]}", "status": "pending"}

    def submit_feedback(self, payload: dict, idempotency_key: str) -> dict:
        self._call("submit_feedback", payload, idempotency_key)
        return {"id": len(self.calls), "face": payload["face"]}

    def assistance_status(self, request_id: str) -> dict:
        self._call("assistance_status", request_id)
        return {"id": request_id, "status": "open", "agent": None}

    def queue_status(self) -> dict:
        self._call("queue_status")
        return {"services": {}, "at": "2026-03-03T09:00:00+01:00"}

    def heartbeat(self, payload: dict) -> dict:
        self._call("heartbeat", payload)
        self.heartbeats.append(payload)
        return {"received_at": "2026-03-03T09:00:00+01:00", "stale_after_seconds": 180}

    def get_asset(self, sha256: str, max_bytes: int = 1024 * 1024) -> bytes:
        self._call("get_asset", sha256, max_bytes)
        if sha256 not in self.assets:
            raise TransportError(f"asset {sha256[:12]}: 404", retryable=False, status=404)
        return self.assets[sha256]
