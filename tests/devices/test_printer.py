"""The ticket printer: bytes through the file backend, simulated paper-out, a network printer
that is absent, and a tiny TCP server acting as a network printer."""

from __future__ import annotations

import socket
import threading
from datetime import datetime

import pytest

from kiosk.devices import printer as printer_module
from kiosk.devices.printer import (
    PAPER_STATUS_QUERY,
    EscposPrinter,
    NullPrinter,
    PrintResult,
    TicketPrint,
    make_printer,
    render_ticket,
    ticket_lines,
)
from kiosk.domain.wait import ESTIMATED, NOT_TODAY, SOON, ShownWait
from tests.support.patience import GUARD, LIVE_TIMEOUT, wait_until

ESC_INIT = b"\x1b@"
CP858_SELECT = b"\x1bt\x13"  # ESC t 19
CUT = b"\x1dV"
URL = "https://carrefour.example.paris.fr/t/3f9a2c"


def ticket(**kw) -> TicketPrint:
    base = dict(
        site_name="Mairie du 19e", number="C042", service_name="État civil – mariage & PACS",
        issued_at=datetime(2025, 5, 14, 10, 42), language="fr", estimate_minutes=25,
        position=7, phone_url=URL, footer="Merci de patienter, nous vous appellerons.",
    )
    base.update(kw)
    return TicketPrint(**base)


def qr_store_command(url: str) -> bytes:
    """GS ( k pL pH cn=49 fn=80 m=48 data: store the QR data in the symbol area."""
    payload = b"1P0" + url.encode()
    return b"\x1d(k" + len(payload).to_bytes(2, "little") + payload


# -- layout -----------------------------------------------------------------------------


def test_the_file_backend_writes_a_whole_escpos_ticket(tmp_path):
    out = tmp_path / "ticket.bin"
    printer = EscposPrinter("file", path=str(out))
    result = printer.print_ticket(ticket())
    assert result == PrintResult(True, "ok", "")
    data = out.read_bytes()
    assert data.startswith(ESC_INIT + CP858_SELECT)
    # The number in 4x4 size (GS ! 0x33), then back to normal size.
    assert b"\x1d!\x33C042\n\x1b!\x00" in data
    # Service in CP858: É is 0x90, the en dash becomes "-".
    assert "État civil - mariage & PACS".encode("cp858") in data
    assert b"\x90tat civil" in data
    assert "Le 14/05/2025 à 10:42".encode("cp858") in data
    assert "Attente estimée : environ 25 min".encode("cp858") in data
    assert "Position dans la file : 7".encode("cp858") in data
    assert b"Mairie du 19e" in data
    # Native QR: model, size, error correction, the URL, print.
    assert b"\x1d(k\x04\x001A2\x00" in data
    assert qr_store_command(URL) in data
    assert b"\x1d(k\x03\x001Q0" in data
    assert data.index(qr_store_command(URL)) < data.rindex(CUT)
    assert data.endswith(b"\x1bd\x06" + CUT + b"\x00")
    # Every text went through the code page: no UTF-8 multi-byte sequence is left.
    assert "é".encode() not in data


def test_unknown_estimate_no_position_no_url():
    data = render_ticket(ticket(estimate_minutes=None, position=None, phone_url=""))
    assert "Attente estimée : inconnue pour l'instant".encode("cp858") in data
    assert b"Position" not in data
    assert b"\x1d(k" not in data
    assert data.rstrip(b"\x00").endswith(CUT)


def test_english_ticket_uses_english_labels():
    data = render_ticket(ticket(language="en", service_name="Civil status"))
    assert b"Estimated wait: about 25 min" in data
    assert b"Civil status" in data
    assert b"14/05/2025, 10:42" in data


@pytest.mark.parametrize("language, service", [
    ("ar", "الحالة المدنية"), ("zh", "户籍登记"), ("wo", "Sàrtu ɛtaa siwil"),
])
def test_scripts_the_printer_lacks_get_the_french_text_and_the_number(language, service):
    t = ticket(language=language, service_name=service, service_name_fr="État civil")
    lines = ticket_lines(t)
    assert lines["service"] == "État civil"
    assert lines["estimate"] == "Attente estimée : environ 25 min"
    data = render_ticket(t)
    assert b"C042" in data and b"\x90tat civil" in data and qr_store_command(URL) in data
    assert b"?" not in data.replace(qr_store_command(URL), b"")


def test_a_profile_without_cp858_falls_back_to_cp437():
    data = render_ticket(ticket(service_name="Élections"), profile="simple")
    assert data.startswith(ESC_INIT + b"\x1bt\x00")
    assert "Élections".encode("cp437") in data


# -- failures never raise ---------------------------------------------------------------


@pytest.mark.parametrize("state", ["paper_out", "absent", "error"])
def test_simulated_states_come_back_as_results(tmp_path, state):
    out = tmp_path / "ticket.bin"
    printer = make_printer({"backend": "file", "path": str(out), "simulate": state})
    result = printer.print_ticket(ticket())
    assert result.ok is False and result.status == state
    assert not out.exists()
    assert printer.status().status == state
    printer.simulated_status = "ok"
    assert printer.print_ticket(ticket()).ok and out.exists()
    assert printer.status() == PrintResult(True, "ok", "")


def test_a_missing_device_file_is_absent_and_is_not_created(tmp_path, monkeypatch):
    printer = EscposPrinter("file", path="/dev/usb/carrefour-test-lp9")
    assert printer.print_ticket(ticket()).status == "absent"
    assert printer.status().status == "absent"


def test_an_unwritable_file_is_an_error(tmp_path):
    printer = EscposPrinter("file", path=str(tmp_path / "no-such-dir" / "t.bin"))
    result = printer.print_ticket(ticket())
    assert result.status == "error" and not result.ok


def test_a_ticket_that_cannot_render_is_an_error_not_an_exception(tmp_path):
    printer = EscposPrinter("file", path=str(tmp_path / "t.bin"), qr_size=99)
    result = printer.print_ticket(ticket())
    assert result.status == "error" and "render" in result.message


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def connects(monkeypatch) -> list[tuple[tuple, float]]:
    """Every connection the printer opens: ((host, port), timeout)."""
    made = []
    real = socket.create_connection

    def create_connection(address, timeout, *args, **kw):
        made.append((address, timeout))
        return real(address, timeout, *args, **kw)

    monkeypatch.setattr(printer_module.socket, "create_connection", create_connection)
    return made


def test_a_network_printer_on_a_closed_port_is_absent_quickly(connects):
    """Refused: absent on the one try, no waiting for the timeout (no retry to wait on)."""
    port = closed_port()
    printer = make_printer({"backend": "network", "host": "127.0.0.1",
                            "port": port, "timeout": 1.5})
    result = printer.print_ticket(ticket())
    assert result.status == "absent" and not result.ok
    assert connects == [(("127.0.0.1", port), 1.5)]
    assert printer.status().status == "absent"
    assert len(connects) == 2


def test_a_network_printer_that_never_answers_is_absent_within_the_timeout(connects):
    # 192.0.2.1 is TEST-NET-1: unroutable, so connect() hangs until the timeout (or fails
    # at once on a machine without a default route). Either way: absent, on one try
    # bounded by the printer's timeout.
    printer = EscposPrinter("network", host="192.0.2.1", port=9100, timeout=0.5)
    assert printer.print_ticket(ticket()).status == "absent"
    assert connects == [(("192.0.2.1", 9100), 0.5)]


# -- a tiny network printer -------------------------------------------------------------


class FakeNetworkPrinter:
    """Accepts connections on 127.0.0.1, answers DLE EOT 4 with `paper_byte` (None: never
    answers), and records what each connection received."""

    def __init__(self, paper_byte: int | None = 0x12) -> None:
        self.paper_byte = paper_byte
        self.jobs: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(GUARD)  # the kiosk closes it when done
                received = b""
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    received += chunk
                    if received.endswith(PAPER_STATUS_QUERY) and self.paper_byte is not None:
                        conn.sendall(bytes([self.paper_byte]))
                self.jobs.append(received)

    def wait_jobs(self, n: int) -> list[bytes]:
        wait_until(lambda: len(self.jobs) >= n)
        return self.jobs

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self.thread.join(5)


@pytest.fixture
def fake_printer():
    servers = []

    def start(paper_byte: int | None = 0x12) -> FakeNetworkPrinter:
        servers.append(FakeNetworkPrinter(paper_byte))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_the_network_printer_receives_the_same_bytes_as_the_file(tmp_path, fake_printer):
    server = fake_printer()
    out = tmp_path / "ticket.bin"
    assert EscposPrinter("file", path=str(out)).print_ticket(ticket()).ok
    net = EscposPrinter("network", host="127.0.0.1", port=server.port, check_paper=False)
    assert net.print_ticket(ticket()) == PrintResult(True, "ok", "")
    assert server.wait_jobs(1) == [out.read_bytes()]


def test_the_network_printer_asks_for_paper_first(tmp_path, fake_printer):
    server = fake_printer(0x12)  # paper adequate
    net = EscposPrinter("network", host="127.0.0.1", port=server.port,
                        timeout=LIVE_TIMEOUT)
    assert net.print_ticket(ticket()) == PrintResult(True, "ok", "")
    assert server.wait_jobs(1) == [PAPER_STATUS_QUERY + render_ticket(ticket())]


def test_paper_near_end_still_prints(fake_printer):
    server = fake_printer(0x1E)
    net = EscposPrinter("network", host="127.0.0.1", port=server.port,
                        timeout=LIVE_TIMEOUT)
    assert net.print_ticket(ticket()) == PrintResult(True, "ok", "paper low")


def test_paper_out_on_the_network_prints_nothing(fake_printer):
    server = fake_printer(0x72)  # paper end sensor
    net = EscposPrinter("network", host="127.0.0.1", port=server.port,
                        timeout=LIVE_TIMEOUT)
    assert net.print_ticket(ticket()) == PrintResult(False, "paper_out", "no paper")
    assert net.status().status == "paper_out"
    assert server.wait_jobs(2) == [PAPER_STATUS_QUERY, PAPER_STATUS_QUERY]


def test_a_printer_that_does_not_answer_the_status_query_is_printed_to(fake_printer):
    server = fake_printer(None)
    net = EscposPrinter("network", host="127.0.0.1", port=server.port, timeout=0.3)
    assert net.print_ticket(ticket()) == PrintResult(True, "ok", "paper status unknown")
    assert server.wait_jobs(1)[0].endswith(render_ticket(ticket()))


def test_print_from_threads_while_the_heartbeat_asks_status(tmp_path):
    out = tmp_path / "ticket.bin"
    printer = EscposPrinter("file", path=str(out))
    one = len(render_ticket(ticket()))
    threads = [threading.Thread(target=printer.print_ticket, args=(ticket(),))
               for _ in range(8)]
    for t in threads:
        t.start()
    for _ in range(20):
        assert printer.status().status == "ok"
    for t in threads:
        t.join()
    assert len(out.read_bytes()) == 8 * one


# -- configuration ----------------------------------------------------------------------


def test_make_printer():
    assert isinstance(make_printer({}), NullPrinter)
    assert isinstance(make_printer({"backend": "none"}), NullPrinter)
    usb = make_printer({"backend": "usb", "usb_vendor": "0x04b8", "usb_product": "0x0202"})
    assert isinstance(usb, EscposPrinter) and (usb.usb_vendor, usb.usb_product) == (
        0x04B8, 0x0202)
    with pytest.raises(ValueError, match="backend"):
        make_printer({"backend": "bluetooth"})
    with pytest.raises(ValueError, match="colour"):
        make_printer({"backend": "file", "path": "x", "colour": "red"})
    with pytest.raises(ValueError, match="host"):
        make_printer({"backend": "network"})


def test_null_printer_reports_absent_and_keeps_the_ticket():
    printer = NullPrinter()
    result = printer.print_ticket(ticket())
    assert result.status == "absent" and not result.ok
    assert printer.printed == [ticket()]
    assert printer.status().status == "absent"


def test_the_example_config_describes_the_printer():
    from pathlib import Path

    from kiosk.devices.config import load_device_config

    example = Path(__file__).resolve().parents[2] / "config" / "kiosk.example.toml"
    sections = load_device_config(example)
    assert isinstance(make_printer(sections["printer"]), NullPrinter)
    assert set(sections) >= {"printer", "speech", "watchdog", "agent_exit"}


def test_an_offline_ticket_says_so_on_paper():
    data = render_ticket(ticket(offline=True, estimate_minutes=None, position=None,
                                phone_url=""))
    assert b"C042" in data
    assert "Ticket émis hors ligne".encode("cp858") in data
    assert "Attente estimée : inconnue pour l'instant".encode("cp858") in data
    online = render_ticket(ticket())
    assert "hors ligne".encode("cp858") not in online
    english = render_ticket(ticket(offline=True, language="en", service_name="Civil status"))
    assert b"Ticket issued offline" in english


def test_an_offline_ticket_prints_its_qr_code_with_the_kiosks_link():
    """The kiosk mints the token: the paper's QR code opens the phone page ("on its way"
    until the upload, then the ticket)."""
    link = "https://carrefour.example/t/AbCdEfGhIjKlMnOpQrStUv"
    data = render_ticket(ticket(offline=True, estimate_minutes=None, position=None,
                                phone_url=link))
    assert b"\x1d(k" in data and link.encode() in data  # GS ( k: the native QR code
    assert "le code QR montrera alors votre tour".encode("cp858") in data.replace(b"\n", b" ")


@pytest.mark.parametrize("wait, french, english", [
    (ShownWait(ESTIMATED, 27, 20, 37), "Attente estimée : 20 à 37 min", "Estimated wait: 20 to 37 min"),
    (ShownWait(SOON, 6, 2, 11), "Restez dans la salle d'attente : votre tour approche",
     "Stay in the waiting room: your turn is coming soon"),
    (ShownWait(NOT_TODAY), "Nous ne pourrons peut-être pas vous recevoir aujourd'hui",
     "We may not reach you today"),
])
def test_the_printed_wait_says_what_the_screen_says(wait, french, english):
    assert french in ticket_lines(ticket(wait=wait))["estimate"]
    assert english in ticket_lines(ticket(wait=wait, language="en"))["estimate"]
    assert french[:18].encode("cp858") in render_ticket(ticket(wait=wait))  # wrapped lines


def test_a_printers_stream_splits_into_its_tickets_even_when_a_picture_holds_the_cut():
    from tests.support.escpos import CUT, RASTER, print_jobs

    one = render_ticket(ticket())
    two = render_ticket(ticket(language="en", service_name="Civil status"))
    assert print_jobs(one + two) == [one, two]
    # A pictogram whose bytes happen to spell the cut: not a cut.
    picture = RASTER + b"\x00" + bytes([3, 0, 2, 0]) + CUT + b"\x00" + CUT
    tricky = b"\x1b@" + picture + b"text" + CUT + b"\x00"
    assert print_jobs(tricky + one) == [tricky, one]
    assert len((tricky + one).split(CUT)) > 3  # what splitting on the bytes would have done
