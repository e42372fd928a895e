"""The ticket printer: an ESC/POS thermal printer driven with python-escpos.

One ticket is rendered to bytes first (python-escpos' `Dummy` printer), then sent in one
write to the backend ("file", "network" or "usb"). Rendering first keeps a job atomic: a
printer that vanishes mid-ticket never gets half a ticket, and every backend receives exactly
the same bytes (the tests compare them).

Code page: text is printed in CP858 (CP850 + the euro sign, French accents included), or
CP437 when the printer profile lacks CP858. Thermal printers have no Arabic shaping and rarely
any CJK font, and no DOS code page has the Wolof/Bambara letters ɛ ɔ ɲ ŋ: a ticket in Arabic,
Chinese, Wolof or Bambara is printed with the French labels (and the French service name when
the caller gives it), plus the number and the QR code, which need no language. The screen and
the phone page show the visitor's language. (Printing those scripts as a raster image rendered
with Pillow and the Noto fonts is possible later; it is slow on cheap printers.)

`print_ticket` and `status` never raise: every failure comes back as a `PrintResult`
(`absent` = no printer answering, `paper_out`, `error` = anything else).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
import textwrap
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from kiosk.devices.ticket_documents import PrintedDocument, print_carnet, print_documents
from kiosk.domain.wait import ESTIMATED, NOT_TODAY, SOON, UNKNOWN, ShownWait

log = logging.getLogger(__name__)

PrintStatus = Literal["ok", "absent", "paper_out", "error"]
STATUSES: tuple[str, ...] = ("ok", "absent", "paper_out", "error")
BACKENDS: tuple[str, ...] = ("none", "file", "network", "usb")

# ESC/POS real-time status request "transmit paper sensor status" (DLE EOT 4).
PAPER_STATUS_QUERY = b"\x10\x04\x04"


@dataclass(frozen=True)
class TicketPrint:
    """What goes on a paper ticket. Texts are in the visitor's language."""

    site_name: str
    number: str
    service_name: str
    issued_at: datetime
    language: str = "fr"
    estimate_minutes: int | None = None
    position: int | None = None
    phone_url: str = ""
    footer: str = ""
    # The French service name, printed when the visitor's language cannot be printed.
    service_name_fr: str = ""
    # Issued by the kiosk from its leased numbers while the server was unreachable.
    offline: bool = False
    # What the visitor is told (kiosk.domain.wait): a range when wide, "stay in the hall",
    # "we may not reach you today". None: `estimate_minutes` alone (older callers).
    wait: ShownWait | None = None
    # The documents checklist as the visitor ticked it (kiosk/devices/ticket_documents.py).
    documents: tuple[PrintedDocument, ...] = ()
    # The ticket's carnet code; `carnet_joined`: the ticket joined the carnet of that code.
    carnet_code: str = ""
    carnet_joined: bool = False
    # An offline ticket with the visitor's own code: it joins once uploaded (unchecked).
    carnet_pending: bool = False


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    status: PrintStatus
    message: str = ""


class TicketPrinter(Protocol):
    def print_ticket(self, ticket: TicketPrint) -> PrintResult: ...

    def status(self) -> PrintResult: ...

    def close(self, timeout: float = 1.0) -> bool: ...


# -- layout -------------------------------------------------------------------------------

# Languages whose text the printer can print with a DOS code page. Others get French labels.
PRINTABLE_LANGUAGES = ("fr", "en")

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "issued": "Le {date} à {time}",
        "estimate": "Attente estimée : environ {n} min",
        "estimate_unknown": "Attente estimée : inconnue pour l'instant",
        "estimate_range": "Attente estimée : {low} à {high} min",
        "soon": "Restez dans la salle d'attente : votre tour approche",
        "not_today": "Nous ne pourrons peut-être pas vous recevoir aujourd'hui : "
                     "demandez à un agent",
        "position": "Position dans la file : {n}",
        "phone": "Suivez votre tour sur votre téléphone :",
        "offline": "Ticket émis hors ligne : votre numéro est bien réservé. Il sera "
                   "transmis au serveur dès que possible ; le code QR montrera alors "
                   "votre tour.",
    },
    "en": {
        "issued": "{date}, {time}",
        "estimate": "Estimated wait: about {n} min",
        "estimate_unknown": "Estimated wait: not known yet",
        "estimate_range": "Estimated wait: {low} to {high} min",
        "soon": "Stay in the waiting room: your turn is coming soon",
        "not_today": "We may not reach you today: please ask an agent",
        "position": "Position in the queue: {n}",
        "phone": "Follow your turn on your phone:",
        "offline": "Ticket issued offline: your number is kept. It will reach the server "
                   "as soon as possible; the QR code will then show your turn.",
    },
}

# Typography a thermal printer's code page does not have, mapped to what it has.
_REPLACEMENTS = str.maketrans({
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u0153": "oe", "\u0152": "OE", "\u00b7": ".",
})


def printable_text(text: str, encoding: str = "cp858") -> str:
    """NFC text with typographic characters replaced by ones the code page has."""
    text = unicodedata.normalize("NFC", text).translate(_REPLACEMENTS)
    if encoding.lower() == "cp437":
        # CP437 lacks the capital accented vowels but É; print them unaccented.
        text = "".join(
            c if c.encode("cp437", "ignore") else
            unicodedata.normalize("NFD", c)[0] for c in text
        )
    return text


def can_print(text: str, encoding: str = "cp858") -> bool:
    try:
        printable_text(text, encoding).encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def ticket_lines(ticket: TicketPrint, encoding: str = "cp858") -> dict[str, str]:
    """The texts of the ticket, in the visitor's language when printable, else in French."""
    lang = ticket.language if ticket.language in PRINTABLE_LANGUAGES else "fr"
    labels = LABELS[lang]
    service = ticket.service_name
    if lang != ticket.language or not can_print(service, encoding):
        service = ticket.service_name_fr or service
    when = ticket.issued_at
    lines = {
        "site": ticket.site_name,
        "number": ticket.number,
        "service": service,
        "issued": labels["issued"].format(
            date=when.strftime("%d/%m/%Y"), time=when.strftime("%H:%M")),
        "estimate": _estimate_line(ticket, labels),
        "position": ("" if ticket.position is None
                     else labels["position"].format(n=int(ticket.position))),
        "phone": labels["phone"] if ticket.phone_url else "",
        "offline": labels["offline"] if ticket.offline else "",
        "footer": ticket.footer if can_print(ticket.footer, encoding) else "",
    }
    return {k: printable_text(v, encoding) for k, v in lines.items()}


def _estimate_line(ticket: TicketPrint, labels: dict[str, str]) -> str:
    wait = ticket.wait
    if wait is None:
        wait = ShownWait(ESTIMATED if ticket.estimate_minutes is not None else UNKNOWN,
                         ticket.estimate_minutes)
    if wait.status == SOON:
        return labels["soon"]
    if wait.status == NOT_TODAY:
        return labels["not_today"]
    if wait.minutes is None:
        return labels["estimate_unknown"]
    if wait.wide:
        return labels["estimate_range"].format(low=wait.low, high=wait.high)
    return labels["estimate"].format(n=max(0, int(wait.minutes)))


def render_ticket(ticket: TicketPrint, profile: str | None = "default", *,
                  number_scale: int = 4, qr_size: int = 6) -> bytes:
    """The ESC/POS bytes of one ticket: init, site, big number, service, date/time,
    estimate, position, the documents and the carnet code, native QR code (GS ( k) of the
    phone URL, feed and cut (GS V)."""
    from escpos.printer import Dummy

    p = Dummy(profile=profile)
    encoding = "CP858" if "CP858" in p.profile.get_code_pages() else "CP437"
    columns = p.profile.get_columns("a") or 42
    lines = ticket_lines(ticket, encoding.lower())

    def para(text: str, width: int = columns) -> None:
        if text:
            p.textln(textwrap.fill(text, max(8, width)))

    p.hw("INIT")  # ESC @
    p.charcode(encoding)  # ESC t n, then every text in that code page
    p.set(align="center", bold=True)
    para(lines["site"])
    p.set(bold=False)
    p.ln()
    # The number, GS ! with both scale nibbles: the one thing to read across the hall.
    p.set(custom_size=True, width=number_scale, height=number_scale)
    p.textln(lines["number"])
    p.set(normal_textsize=True)
    p.ln()
    p.set(bold=True)
    para(lines["service"])
    p.set(bold=False)
    para(lines["issued"])
    p.ln()
    para(lines["estimate"])
    para(lines["position"])
    if lines["offline"]:
        p.ln()
        para(lines["offline"])
    lang = ticket.language if ticket.language in PRINTABLE_LANGUAGES else "fr"

    def clean(text: str) -> str:
        return printable_text(text, encoding.lower())

    print_documents(p, ticket.documents, lang, lang == ticket.language, clean, columns)
    print_carnet(p, ticket.carnet_code, lang, clean, columns, joined=ticket.carnet_joined,
                 qr=bool(ticket.phone_url), pending=ticket.carnet_pending)
    if ticket.phone_url:
        p.ln()
        para(lines["phone"])
        p.qr(ticket.phone_url, native=True, size=qr_size)  # GS ( k
    if lines["footer"]:
        p.ln()
        para(lines["footer"])
    p.set(align="left")
    p.cut()  # ESC d 6 (feed), GS V 0
    return p.output


# -- printers -----------------------------------------------------------------------------


class NullPrinter:
    """No printer configured (backend "none"): every ticket is reported `absent`, so the
    screen tells the visitor to note the number. Keeps the tickets for tests."""

    def __init__(self) -> None:
        self.printed: list[TicketPrint] = []

    def print_ticket(self, ticket: TicketPrint) -> PrintResult:
        self.printed.append(ticket)
        return PrintResult(False, "absent", "no ticket printer configured")

    def status(self) -> PrintResult:
        return PrintResult(False, "absent", "no ticket printer configured")

    def close(self, timeout: float = 1.0) -> bool:
        return True


class EscposPrinter:
    """A thermal ESC/POS printer. Thread-safe: one job at a time.

    backend "file": `path` is a file the tickets are appended to (tests, a spool) or a
    character device such as /dev/usb/lp0 (usblp). `simulate` ("ok", "paper_out", "absent",
    "error") forces a state for tests and demos; it can also be set on the instance.
    backend "network": raw TCP to `host`:`port` (9100). A refused or timed-out connection is
    `absent`. When `check_paper` (default on), the paper sensor is asked first (DLE EOT 4);
    a printer that does not answer within `timeout` is printed to anyway.
    backend "usb": `usb_vendor`/`usb_product` (ints or "0x04b8" strings) through pyusb.
    """

    def __init__(self, backend: str, *, profile: str | None = "default", timeout: float = 2.0,
                 path: str = "", host: str = "", port: int = 9100,
                 usb_vendor: int | str | None = None, usb_product: int | str | None = None,
                 usb_in_ep: int | str = 0x82, usb_out_ep: int | str = 0x01,
                 check_paper: bool | None = None, simulate: str = "ok",
                 number_scale: int = 4, qr_size: int = 6) -> None:
        if backend not in ("file", "network", "usb"):
            raise ValueError(f"unknown printer backend {backend!r}")
        if simulate not in STATUSES:
            raise ValueError(f"simulate must be one of {STATUSES}, got {simulate!r}")
        if backend == "file" and not path:
            raise ValueError("printer backend 'file' needs a path")
        if backend == "network" and not host:
            raise ValueError("printer backend 'network' needs a host")
        if backend == "usb" and (usb_vendor is None or usb_product is None):
            raise ValueError("printer backend 'usb' needs usb_vendor and usb_product")
        self.backend = backend
        self.profile = profile or "default"
        self.timeout = float(timeout)
        self.path = str(path)
        self.host = host
        self.port = int(port)
        self.usb_vendor = _int(usb_vendor) if usb_vendor is not None else None
        self.usb_product = _int(usb_product) if usb_product is not None else None
        self.usb_in_ep = _int(usb_in_ep)
        self.usb_out_ep = _int(usb_out_ep)
        self.check_paper = backend != "file" if check_paper is None else bool(check_paper)
        self.simulated_status: str = simulate
        self.number_scale = int(number_scale)
        self.qr_size = int(qr_size)
        self._lock = threading.Lock()
        self._closed = False
        self._last = PrintResult(True, "ok", "not used yet")

    def __repr__(self) -> str:
        where = {"file": self.path, "network": f"{self.host}:{self.port}",
                 "usb": f"{self.usb_vendor:#06x}:{self.usb_product:#06x}"
                 if self.backend == "usb" else ""}[self.backend]
        return f"EscposPrinter({self.backend} {where})"

    def render(self, ticket: TicketPrint) -> bytes:
        return render_ticket(ticket, self.profile, number_scale=self.number_scale,
                             qr_size=self.qr_size)

    def print_ticket(self, ticket: TicketPrint) -> PrintResult:
        try:
            data = self.render(ticket)
        except Exception as exc:  # a bad ticket (e.g. URL too long for a QR code)
            log.exception("ticket %s could not be rendered", ticket.number)
            return self._remember(PrintResult(False, "error", f"render failed: {exc}"))
        with self._lock:
            if self._closed:
                return self._remember(PrintResult(False, "absent", "the kiosk is stopping"))
            try:
                result = self._send(data)
            except Exception as exc:  # never raise to the kiosk
                log.exception("printing ticket %s failed", ticket.number)
                result = PrintResult(False, "error", f"{type(exc).__name__}: {exc}")
        if not result.ok:
            log.warning("ticket %s not printed on %r: %s %s",
                        ticket.number, self, result.status, result.message)
        return self._remember(result)

    def status(self) -> PrintResult:
        """The printer's state now; while a ticket prints, the last known state."""
        if not self._lock.acquire(timeout=0.05):
            return self._last
        try:
            result = self._probe()
        except Exception as exc:
            result = PrintResult(False, "error", f"{type(exc).__name__}: {exc}")
        finally:
            self._lock.release()
        return self._remember(result)

    def close(self, timeout: float = 1.0) -> bool:
        """At the kiosk's stop: let a ticket being sent finish (one write, never half a
        ticket), then refuse new ones. Each job opens and closes the device itself, so
        nothing else is held. False when the job in progress outlasted `timeout` s."""
        if not self._lock.acquire(timeout=timeout):
            self._closed = True
            return False
        self._closed = True
        self._lock.release()
        return True

    def _remember(self, result: PrintResult) -> PrintResult:
        self._last = result
        return result

    # -- backends

    def _send(self, data: bytes) -> PrintResult:
        if self.backend == "file":
            return self._file(data)
        if self.backend == "network":
            return self._network(data)
        return self._usb(data)

    def _probe(self) -> PrintResult:
        if self.backend == "file":
            return self._file(None)
        if self.backend == "network":
            return self._network(None)
        return self._usb(None)

    def _file(self, data: bytes | None) -> PrintResult:
        if self.simulated_status != "ok":
            return PrintResult(False, self.simulated_status,  # type: ignore[arg-type]
                               f"simulated {self.simulated_status}")
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            mode = None
        is_device = mode is not None and stat.S_ISCHR(mode)
        if mode is None and self.path.startswith("/dev/"):
            # An unplugged usblp printer: never create a regular file in /dev.
            return PrintResult(False, "absent", f"{self.path} does not exist")
        if data is None:
            if is_device and not os.access(self.path, os.W_OK):
                return PrintResult(False, "error", f"{self.path} is not writable")
            return PrintResult(True, "ok", "")
        try:
            if is_device:
                fd = os.open(self.path, os.O_WRONLY | os.O_NOCTTY)
                with open(fd, "wb", buffering=0) as fh:
                    fh.write(data)
            else:
                with open(self.path, "ab") as fh:
                    fh.write(data)
        except OSError as exc:
            status: PrintStatus = "absent" if is_device else "error"
            return PrintResult(False, status, f"{self.path}: {exc.strerror or exc}")
        return PrintResult(True, "ok", "")

    def _network(self, data: bytes | None) -> PrintResult:
        from escpos.printer import Network

        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:  # refused, unreachable, timed out: nobody is printing there
            return PrintResult(False, "absent", f"{self.host}:{self.port}: {exc}")
        printer = Network(self.host, self.port, timeout=self.timeout, profile=self.profile)
        printer.device = sock
        try:
            return self._job(printer, data, OSError, "connection lost")
        finally:
            sock.close()
            printer.device = False  # closed here; escpos' close() would only log about it

    def _usb(self, data: bytes | None) -> PrintResult:
        from escpos.printer import Usb

        if not Usb.is_usable():
            return PrintResult(False, "error", "pyusb is not installed")
        printer = Usb(self.usb_vendor, self.usb_product, timeout=int(self.timeout * 1000),
                      in_ep=self.usb_in_ep, out_ep=self.usb_out_ep, profile=self.profile)
        try:
            try:
                printer.open(raise_not_found=True)
            except Exception as exc:  # USBNotFoundError, permissions, no libusb
                return PrintResult(False, "absent", _first_line(exc))
            # usb.core.USBError (unplugged mid-job) is not an OSError
            return self._job(printer, data, Exception, "USB write failed")
        finally:
            with contextlib.suppress(Exception):
                printer.close()

    def _job(self, printer, data: bytes | None, lost: type[Exception], saying: str) -> PrintResult:
        """On an open printer: the paper asked (when configured, or for a status request
        `data is None`), then the job; a `lost` error while writing says the printer is gone."""
        paper = self._paper(printer) if self.check_paper or data is None else 2
        if paper == 0:
            return PrintResult(False, "paper_out", "no paper")
        if data is not None:
            try:
                printer._raw(data)
            except lost as exc:
                return PrintResult(False, "absent", f"{saying}: {exc}")
        return PrintResult(True, "ok", _paper_message(paper))

    @staticmethod
    def _paper(printer) -> int | None:
        """2 plenty, 1 near end, 0 out; None when the printer does not answer."""
        try:
            response = printer.query_status(PAPER_STATUS_QUERY)
        except Exception:  # timeout, or a printer without a readable back channel
            return None
        if not response:
            return None
        return _paper_from_byte(response[0])


def _paper_from_byte(byte: int) -> int:
    """Decode the DLE EOT 4 answer (bits 2-3: near end, bits 5-6: paper end)."""
    if byte & 0x60 == 0x60:
        return 0
    if byte & 0x0C == 0x0C:
        return 1
    return 2


def _paper_message(paper: int | None) -> str:
    return {None: "paper status unknown", 1: "paper low", 2: ""}.get(paper, "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def _int(value: int | str) -> int:
    return value if isinstance(value, int) else int(str(value), 0)


# -- configuration ------------------------------------------------------------------------

_KEYS = {"backend", "path", "host", "port", "usb_vendor", "usb_product", "usb_in_ep",
         "usb_out_ep", "profile", "timeout", "check_paper", "simulate", "number_scale",
         "qr_size"}


def make_printer(config_section: dict | None) -> TicketPrinter:
    """The printer the `[printer]` section describes; `NullPrinter` for backend "none".

    Raises ValueError on a wrong section (unknown backend or key, missing host/path):
    a configuration mistake shows at start-up, not at the first visitor."""
    section = dict(config_section or {})
    backend = str(section.pop("backend", "none")).lower()
    if backend not in BACKENDS:
        raise ValueError(f"[printer] backend must be one of {BACKENDS}, got {backend!r}")
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ValueError(f"unknown [printer] keys: {', '.join(unknown)}")
    if backend == "none":
        return NullPrinter()
    if isinstance(section.get("port"), str):
        section["port"] = int(section["port"])
    return EscposPrinter(backend, **section)


__all__ = ["EscposPrinter", "NullPrinter", "PrintResult", "PrintedDocument", "TicketPrint",
           "TicketPrinter", "make_printer", "render_ticket"]
