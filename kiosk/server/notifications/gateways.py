"""SMS gateways: Kannel's sendsms HTTP interface, and a log backend for development.

Plain Python + requests: no Django import, so the outbox worker, tests and scripts can use
these without settings. The worker (DESIGN.md, "Queues") claims an outbox row, calls
`SmsGateway.send`, and records the `SendResult`:

- ``accepted``: the gateway took the message; delivery reports will follow.
- ``retryable``: the gateway certainly did *not* take it (connection refused, 5xx from Kannel
  itself): safe to send again later.
- ``unknown``: the request may have reached the gateway but we never saw the answer (read
  timeout, connection dropped after sending, 502/504 from a proxy). The DESIGN rule: such a
  row is never resent blindly; a delivery report may still settle it, or a human decides.
- neither: refused for good (4xx: bad credentials, number denied, not routable...).

Kannel facts, checked against Kannel 1.4.5 (Debian) with the real bearerbox, smsbox and
``/usr/lib/kannel/test/fakesmsc`` (package ``kannel-extras``), see tests/sms:

- ``GET /cgi-bin/sendsms`` answers ``202 "0: Accepted for delivery"``, or
  ``202 "3: Queued for later delivery"`` when no SMSC link is up (bearerbox keeps it; use a
  ``store-file`` so it survives a restart); older versions answered ``"Sent."``. Errors are
  ``403 "Authorization failed for sendsms"``, ``400 "Sender missing and no global set,
  rejected"``, ``400 "Number(s) has/have been denied..."``, ``503 "Temporal failure..."``.
  No message id comes back in 1.4.5; the DLR carries Kannel's and the SMSC's ids (``%I``,
  ``%F``) if the dlr-url asks for them.
- ``text`` is read in ``charset`` (UTF-8 by default). With ``coding=2`` Kannel converts it to
  UCS-2 itself *only if* ``charset`` is given: ``coding=2`` without ``charset`` ships the UTF-8
  bytes as if they were UCS-2 (garbage on the phone). ``charset=UTF-16BE`` with the UTF-16
  bytes works too. We always send UTF-8 with ``charset=UTF-8`` and ``coding=0|2``.
- ``dlr-mask=31`` asks for every report: 1 delivered, 2 undeliverable, 4 buffered at the SMSC,
  8 accepted by the SMSC, 16 rejected by the SMSC; smsbox calls ``dlr-url`` with ``%d``
  replaced by that type. The fake SMSC reports 8 then 1.
- Kannel expands ``%x`` escapes in ``dlr-url``: a ``ref`` is therefore restricted to
  ``[A-Za-z0-9._:-]`` so that no percent-encoding of ours can ever look like an escape.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import requests
from urllib3.exceptions import NewConnectionError

from kiosk.domain.phones import is_e164, mask_phone

logger = logging.getLogger("carrefour.sms")

GSM7 = "gsm7"
UCS2 = "ucs2"
KANNEL_CODING = {GSM7: "0", UCS2: "2"}
DLR_MASK_ALL = 31

_REF = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# A dlr-url template for our callback; {ref} is ours, the %-escapes are Kannel's.
DLR_QUERY = "ref={ref}&type=%d&smsc=%i&id=%F&answer=%A&at=%T"


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    retryable: bool
    gateway_id: str | None = None
    detail: str = ""
    unknown: bool = False  # the request may have gone through: never resend blindly

    @property
    def status(self) -> str:
        """One word for the outbox row: accepted, retry, unknown or failed."""
        if self.accepted:
            return "accepted"
        if self.unknown:
            return "unknown"
        return "retry" if self.retryable else "failed"


class SmsGateway(Protocol):
    def send(self, to_e164: str, text: str, coding: str, ref: str) -> SendResult: ...


def _check(to_e164: str, text: str, coding: str, ref: str) -> SendResult | None:
    """A permanent failure for arguments no gateway could accept, else None."""
    if not is_e164(to_e164):
        return SendResult(False, False, None, "recipient is not an E.164 number")
    if not text:
        return SendResult(False, False, None, "empty text")
    if coding not in KANNEL_CODING:
        return SendResult(False, False, None, f"unknown coding {coding!r}")
    if not _REF.match(ref or ""):
        return SendResult(False, False, None, "ref must match [A-Za-z0-9._:-]{1,64}")
    return None


class KannelGateway:
    """Kannel smsbox ``/cgi-bin/sendsms``.

    `dlr_url_template` is our callback URL with ``{ref}`` where the outbox reference goes and
    Kannel escapes (at least ``%d``), e.g.
    ``"https://carrefour.example/sms/dlr?" + DLR_QUERY``.
    `base_url` is ``http://host:sendsms-port`` (``/cgi-bin/sendsms`` is appended unless given).
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        dlr_url_template: str,
        smsc: str | None = None,
        timeout: float = 5,
        sender: str | None = None,
    ):
        if "{ref}" not in dlr_url_template or "%d" not in dlr_url_template:
            raise ValueError("dlr_url_template needs {ref} and Kannel's %d")
        base = base_url.rstrip("/")
        self.url = base if base.endswith("/cgi-bin/sendsms") else base + "/cgi-bin/sendsms"
        self.username = username
        self.password = password
        self.dlr_url_template = dlr_url_template
        self.smsc = smsc
        self.timeout = timeout
        self.sender = sender

    def __repr__(self) -> str:  # no password in reprs or logs
        return f"KannelGateway({self.url!r}, smsc={self.smsc!r})"

    def dlr_url(self, ref: str) -> str:
        return self.dlr_url_template.replace("{ref}", quote(ref, safe=""))

    def params(self, to_e164: str, text: str, coding: str, ref: str) -> dict[str, str]:
        params = {
            "username": self.username,
            "password": self.password,
            "to": to_e164,
            "text": text,
            "charset": "UTF-8",
            "coding": KANNEL_CODING[coding],
            "dlr-mask": str(DLR_MASK_ALL),
            "dlr-url": self.dlr_url(ref),
        }
        if self.smsc:
            params["smsc"] = self.smsc
        if self.sender:
            params["from"] = self.sender
        return params

    def send(self, to_e164: str, text: str, coding: str, ref: str) -> SendResult:
        invalid = _check(to_e164, text, coding, ref)
        if invalid is not None:
            return invalid
        masked = mask_phone(to_e164)
        try:
            with requests.Session() as session:
                response = session.get(
                    self.url,
                    params=self.params(to_e164, text, coding, ref),
                    timeout=self.timeout,
                    headers={"Connection": "close"},
                )
                body = response.text.strip()
                status = response.status_code
                response.close()
        except requests.RequestException as exc:
            # Never put str(exc) in the result: it contains the URL, number and password.
            result = classify_exception(exc)
        else:
            result = classify_response(status, body)
        log = logger.info if result.accepted else logger.warning
        log("kannel send ref=%s to=%s coding=%s -> %s (%s)", ref, masked, coding,
            result.status, result.detail)
        return result


def classify_exception(exc: BaseException) -> SendResult:
    """Before sending (no connection): retryable. After sending: unknown."""
    name = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout):
        return SendResult(False, True, None, f"connect timeout ({name})")
    if isinstance(exc, requests.ReadTimeout):
        return SendResult(False, False, None, "no answer after sending (read timeout)", True)
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        if isinstance(reason, NewConnectionError):  # refused, no route, DNS: never sent
            return SendResult(False, True, None, f"gateway unreachable ({type(reason).__name__})")
        if isinstance(exc, requests.exceptions.SSLError):
            return SendResult(False, True, None, "TLS handshake failed")
        return SendResult(False, False, None,
                          f"connection lost after sending ({type(reason).__name__})", True)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return SendResult(False, False, None, f"gateway URL misconfigured ({name})")
    return SendResult(False, False, None, f"unexpected error after sending ({name})", True)


def classify_response(status: int, body: str) -> SendResult:
    detail = f"HTTP {status}: {body[:200]}"
    if 200 <= status < 300:
        found = _UUID.search(body)
        return SendResult(True, False, found.group(0) if found else None, detail)
    if status in (502, 504):  # a proxy lost Kannel's answer: it may have queued the message
        return SendResult(False, False, None, detail, True)
    if status >= 500 or status in (408, 429):
        return SendResult(False, True, None, detail)
    return SendResult(False, False, None, detail)


@dataclass(frozen=True)
class LoggedSms:
    to: str
    text: str
    coding: str
    ref: str


class LogGateway:
    """Development backend: logs the masked number and the text, keeps messages in memory."""

    def __init__(self, logger_name: str = "carrefour.sms.log"):
        self.logger = logging.getLogger(logger_name)
        self.messages: list[LoggedSms] = []
        self._lock = threading.Lock()

    def send(self, to_e164: str, text: str, coding: str, ref: str) -> SendResult:
        invalid = _check(to_e164, text, coding, ref)
        if invalid is not None:
            return invalid
        with self._lock:
            self.messages.append(LoggedSms(to_e164, text, coding, ref))
            number = len(self.messages)
        self.logger.info("SMS ref=%s to=%s coding=%s: %s", ref, mask_phone(to_e164), coding, text)
        return SendResult(True, False, f"log-{number}", "logged")


# Kannel DLR types (dlr-mask bits) and what they mean for the outbox row.
DLR_TYPES: dict[int, str] = {
    1: "delivered",  # delivered to the phone
    2: "failed",  # undeliverable (final)
    4: "buffered",  # queued at the SMSC (intermediate)
    8: "submitted",  # accepted by the SMSC (ACK)
    16: "rejected",  # rejected by the SMSC (NACK, final)
}
# A combined value (rare) is read from the most final bit down.
_DLR_PRIORITY = (1, 2, 16, 4, 8)
FINAL_DLR_STATUSES = frozenset({"delivered", "failed", "rejected"})


class DlrError(ValueError):
    pass


@dataclass(frozen=True)
class DeliveryReport:
    ref: str
    status: str  # delivered | failed | buffered | submitted | rejected
    raw_code: int
    answer: str = ""  # the SMSC's text (%A), e.g. "ACK/" or "NACK/0x00000045/..."
    gateway_id: str | None = None  # the SMSC's message id (%F), when asked for

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_DLR_STATUSES


def _one(query: Mapping[str, object], key: str) -> str:
    value = query.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return "" if value is None else str(value).strip()


def parse_dlr(query: Mapping[str, object]) -> DeliveryReport:
    """The report in the query of a dlr-url callback (`DLR_QUERY` names: ref, type...).

    Accepts a plain dict, `urllib.parse.parse_qs` output (lists) or a Django QueryDict.
    """
    ref = _one(query, "ref")
    if not _REF.match(ref):
        raise DlrError("missing or malformed ref")
    raw = _one(query, "type")
    try:
        code = int(raw)
    except ValueError:
        raise DlrError(f"DLR type is not a number: {raw[:20]!r}") from None
    status = DLR_TYPES.get(code)
    if status is None:
        bit = next((b for b in _DLR_PRIORITY if code > 0 and code & b), None)
        if bit is None or code >= 32:
            raise DlrError(f"unknown DLR type {code}")
        status = DLR_TYPES[bit]
    answer = _one(query, "answer")
    gateway_id = _one(query, "id") or None
    return DeliveryReport(ref, status, code, answer, gateway_id)
