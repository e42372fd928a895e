"""HTTP transport to the central server: bearer token, idempotency keys, timeouts."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from kiosk import __version__
from kiosk.ports import ContentChanges, ContentDelta, Json, TransportError

__all__ = ["PROTOCOL_VERSION", "ContentChanges", "ContentDelta", "Transport", "TransportError",
           "backoff_seconds"]

PROTOCOL_VERSION = 1
HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")

log = logging.getLogger(__name__)


def backoff_seconds(attempt: int, base: float = 1.0, cap: float = 300.0,
                    rng: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: a fleet of kiosks never retries in step."""
    # The exponent is capped: a kiosk offline all night must not overflow a float.
    return rng() * min(cap, base * 2.0 ** min(max(0, attempt - 1), 30))


def content_delta(body: Json, etag: str | None, size: int) -> ContentDelta:
    """A content answer's envelope (GET /content, or the one a long-poll answer carries),
    read strictly: bool("false") is True (a full snapshot would wipe the content) and
    str(None) is a cursor; a corrupt answer is rejected whole (KeyError, TypeError)."""
    cursor = body["cursor"]
    if isinstance(cursor, int) and not isinstance(cursor, bool):
        cursor = str(cursor)  # a numeric cursor is read as text
    if not isinstance(cursor, str) or not cursor:
        raise TypeError("cursor must be a non-empty string")
    if not isinstance(body["items"], list) or not isinstance(body["deleted"], list):
        raise TypeError("items and deleted must be lists")
    if not isinstance(body["full"], bool) or not isinstance(body.get("more", False), bool):
        raise TypeError("full and more must be booleans")
    return ContentDelta(cursor=cursor, items=body["items"], deleted=body["deleted"],
                        full=body["full"], more=body.get("more", False), etag=etag, size=size)


def _wire_size(response: requests.Response) -> int:
    """Bytes on the wire: the compressed length when the server gzipped the answer."""
    return int(response.headers.get("Content-Length") or len(response.content))


def _body(response: requests.Response) -> Json:
    """The answer's JSON: an object, by the protocol (callers check the fields they read)."""
    body: Json = response.json()
    return body


class Transport:
    """Talks to /api/v1 with this kiosk's token (implements kiosk.ports.KioskTransport).
    Thread-safe enough: one Session per thread."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = requests.Session()
        self._push_session: requests.Session | None = None  # the long-poll's own, on first use
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "User-Agent": f"carrefour-kiosk/{__version__}",
                "X-Carrefour-Protocol": str(PROTOCOL_VERSION),
            }
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self._session.request(method, f"{self.base_url}/api/v1{path}", **kwargs)
        except requests.RequestException as exc:
            raise TransportError(f"{method} {path}: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportError(
                f"{method} {path}: server answered {response.status_code}",
                status=response.status_code,
            )
        if response.status_code >= 400:
            raise TransportError(
                f"{method} {path}: {response.status_code} {response.text[:200]}",
                retryable=False,
                status=response.status_code,
            )
        return response

    def get_content(self, since: str | None, etag: str | None = None) -> ContentDelta | None:
        """The changes since `since`; None when the server says nothing changed (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        params = {"since": since} if since else {}
        response = self._request("GET", "/content", params=params, headers=headers)
        if response.status_code == 304:
            return None
        try:
            return content_delta(response.json(), response.headers.get("ETag"),
                                 _wire_size(response))
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"content payload unreadable: {exc}", retryable=True) from exc

    def wait_for_changes(self, since: str, wait: float = 25.0) -> ContentChanges:
        """Long-poll `GET /content/changes`: answers once the server's content cursor differs
        from `since` (changed=True: pull now) or after `wait` s (changed=False). Uses its own
        HTTP session, so a helper thread may wait while the sync thread talks to the server.
        A server older than push answers 404 (TransportError, status 404, not retryable)."""
        session = self._push_session
        if session is None:
            session = self._push_session = requests.Session()
            session.headers.update(self._session.headers)
        path = "/content/changes"
        try:
            params: dict[str, str | float] = {"since": since, "wait": wait}
            response = session.get(
                f"{self.base_url}/api/v1{path}", params=params,
                timeout=(self.timeout, wait + self.timeout),
            )
        except requests.RequestException as exc:
            raise TransportError(f"GET {path}: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise TransportError(
                f"GET {path}: server answered {response.status_code}",
                retryable=response.status_code >= 500 or response.status_code == 429,
                status=response.status_code,
            )
        try:
            body = response.json()
            if not isinstance(body["changed"], bool):
                raise TypeError("changed must be a boolean")
            cursor, changed = str(body["cursor"]), body["changed"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"changes answer unreadable: {exc}", retryable=True) from exc
        delta = None
        if changed and body.get("delta") is not None:
            etag = body.get("etag")
            try:
                # The whole answer is this delta's cost on the wire, as for a GET /content.
                delta = content_delta(body["delta"], etag if isinstance(etag, str) else None,
                                      _wire_size(response))
            except (KeyError, TypeError, AttributeError) as exc:
                # Only the embedded copy is unreadable: the sync fetches the delta instead.
                log.warning("delta in the long-poll answer unreadable (%s): fetching it", exc)
        return ContentChanges(cursor, changed, len(response.content), delta)

    def create_ticket(self, payload: Json, idempotency_key: str) -> Json:
        response = self._request(
            "POST", "/tickets", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        return _body(response)

    def check_carnet(self, code: str) -> Json:
        """Is this carnet code known and live? {"ok": true, "procedures": n}; an unknown or
        expired code is a TransportError with status 404 (not retryable); 429 (the kiosk's
        look-ups are rate-limited) and network faults are retryable."""
        return _body(self._request("GET", f"/carnets/{quote(code, safe='')}"))

    def checkin_appointment(self, payload: Json) -> Json:
        """Check in for today's appointment: {"code"} (or "initials" + "time") -> the ticket
        (number, lane, slot...); an unknown code is a TransportError with status 404. A
        second check-in answers the first ticket: safe to retry."""
        return _body(self._request("POST", "/appointments/checkin", json=payload))

    def appointment_slots(self) -> list[str]:
        """The times of today's appointments still open for check-in around now ("HH:MM",
        site time, sorted; nothing else of them), for the time step without the code."""
        response = self._request("GET", "/appointments/slots")
        try:
            times = response.json()["times"]
            if not isinstance(times, list) or not all(
                    isinstance(t, str) and HHMM.fullmatch(t) for t in times):
                raise TypeError("times must be a list of HH:MM")
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"slots answer unreadable: {exc}", retryable=True) from exc
        return sorted(set(times))

    def create_lease(self, payload: Json, idempotency_key: str) -> Json:
        """Lease numbers for offline tickets: {"service", "size"} -> {"service", "day",
        "first", "last", "prefix"} (valid on that day only)."""
        response = self._request(
            "POST", "/leases", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        try:
            body = response.json()
            return {"service": str(body["service"]), "day": str(body["day"]),
                    "first": int(body["first"]), "last": int(body["last"]),
                    "prefix": str(body["prefix"])}
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"lease answer unreadable: {exc}", retryable=True) from exc

    def ticket_status(self, ticket_id: str) -> Json:
        return _body(self._request("GET", f"/tickets/{ticket_id}"))

    def request_assistance(self, payload: Json, idempotency_key: str) -> Json:
        """Call an agent to the kiosk: {"language": "fr", "note": ""} -> the request
        ({"id", "status": "open"|"handled"|"expired", "agent", ...}). While one is open, the
        server answers that one: asking twice never alerts the agents twice."""
        response = self._request(
            "POST", "/assistance", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        return _body(response)

    def submit_contribution(self, payload: Json, idempotency_key: str) -> Json:
        """A resident's proposal of a local offer -> {"id", "status": "pending"}; it waits
        for a moderator. 422 (not retryable): the server refused its content."""
        response = self._request(
            "POST", "/contributions", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        return _body(response)

    def submit_feedback(self, payload: Json, idempotency_key: str) -> Json:
        """A visitor's face at the kiosk ("Donner mon avis") -> {"id", "face"}. 422 (not
        retryable): refused (an unknown pole...)."""
        response = self._request(
            "POST", "/feedback", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        return _body(response)

    def assistance_status(self, request_id: str) -> Json:
        """The state of a request made by this kiosk ("handled": an agent is coming)."""
        return _body(self._request("GET", f"/assistance/{quote(request_id, safe='')}"))

    def queue_status(self) -> Json:
        """{"services": {"<service id>": {"waiting", "estimated_wait_minutes", "open_counters"}},
        "at": "<ISO datetime>"}; estimated_wait_minutes is null when unknown."""
        response = self._request("GET", "/queues")
        try:
            body = _body(response)
            if not isinstance(body.get("services"), dict):
                raise ValueError("services must be an object")
            return body
        except (ValueError, AttributeError) as exc:
            raise TransportError(f"queue status unreadable: {exc}", retryable=True) from exc

    def heartbeat(self, payload: Json) -> Json:
        """Say how this kiosk is: {"version", "cursor", "outbox_depth", "printer": {"state",
        "detail"} | None, "last_error"} -> {"received_at", "stale_after_seconds"}. A server
        older than the heartbeat answers 404 (a TransportError, not retryable)."""
        response = self._request("POST", "/heartbeat", json=payload)
        try:
            return _body(response)
        except ValueError as exc:
            raise TransportError(f"heartbeat answer unreadable: {exc}", retryable=True) from exc

    def get_asset(self, sha256: str, max_bytes: int = 1024 * 1024) -> bytes:
        """The bytes of an asset (`GET /assets/<sha256>`); the caller checks size and hash.
        More than `max_bytes` is refused without reading the rest (retryable: the next
        sync asks again). 404: the server no longer has it (not retryable)."""
        response = self._request("GET", f"/assets/{quote(sha256, safe='')}", stream=True)
        try:
            chunks, total = [], 0
            for chunk in response.iter_content(64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise TransportError(f"asset {sha256[:12]}: more than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
        except requests.RequestException as exc:
            raise TransportError(f"GET /assets: {exc.__class__.__name__}") from exc
        finally:
            response.close()
