"""The SMS gateways against a real Kannel (bearerbox + smsbox + fakesmsc on loopback)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from kiosk.domain.sms_text import CALLED, TURN_NEAR, render_sms
from kiosk.server.notifications.gateways import (
    DLR_QUERY,
    DlrError,
    KannelGateway,
    LogGateway,
    SendResult,
    classify_response,
    parse_dlr,
)
from tests.support.kannel import KannelHarness, parse_fakesmsc_log
from tests.support.patience import GUARD, LIVE_TIMEOUT, wait_until

FIELDS = {"site": "Mairie du 19e", "ticket": "C042", "minutes": 12, "counter": 3}


class Loopback:
    """A tiny HTTP server on 127.0.0.1 in a thread: records requests, answers `reply`."""

    def __init__(self, reply: Callable[[str], tuple[int, str]] = lambda path: (200, "OK")):
        self.requests: list[str] = []
        self._changed = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                with outer._changed:
                    outer.requests.append(self.path)
                    outer._changed.notify_all()
                status, body = reply(self.path)
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def queries(self) -> list[dict[str, list[str]]]:
        return [parse_qs(urlsplit(path).query) for path in self.requests]

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = GUARD) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.requests), timeout)


@pytest.fixture(scope="module")
def dlr_server() -> Iterator[Loopback]:
    with Loopback() as server:
        yield server


@pytest.fixture(scope="module")
def kannel(tmp_path_factory, dlr_server) -> Iterator[KannelHarness]:
    # Depends on dlr_server so that Kannel stops *before* the DLR target: smsbox 1.4.5
    # panics (conn_unregister assertion) when a dlr-url connection is reset under it.
    with KannelHarness(tmp_path_factory.mktemp("kannel")) as harness:
        yield harness


@pytest.fixture
def gateway(kannel, dlr_server) -> KannelGateway:
    assert kannel.running, f"Kannel died during the tests\n{kannel.log_tail()}"
    return KannelGateway(kannel.base_url, kannel.username, kannel.password,
                         f"{dlr_server.url}/sms/dlr?{DLR_QUERY}", timeout=LIVE_TIMEOUT)


def messages_to(kannel: KannelHarness, number: str, count: int = 1):
    def found():
        return [m for m in kannel.received() if m.to == number]

    wait_until(lambda: len(found()) >= count, step=0.05)
    return found()


def test_french_gsm7_text_reaches_the_smsc_exactly(kannel, gateway):
    sms = render_sms(TURN_NEAR, "fr", **FIELDS, place="au hall d'accueil")
    assert (sms.coding, sms.segments) == ("gsm7", 1)

    result = gateway.send("+33612345601", sms.text, sms.coding, "t-fr-1")

    assert result.accepted, result
    assert not result.unknown
    [got] = messages_to(kannel, "+33612345601")
    assert (got.sender, got.coding, got.text) == ("Mairie19", "text", sms.text)


def test_gsm7_extension_characters_survive(kannel, gateway):
    text = "Tarif : 5 € [guichet] {A} ~ | ^ \\ fin"
    assert gateway.send("+33612345602", text, "gsm7", "t-ext-1").accepted
    [got] = messages_to(kannel, "+33612345602")
    assert got.text == text


def test_arabic_goes_as_ucs2_and_arrives_intact(kannel, gateway):
    sms = render_sms(CALLED, "ar", **FIELDS)
    assert sms.coding == "ucs2"

    result = gateway.send("+33612345603", sms.text, sms.coding, "t-ar-1")

    assert result.accepted, result
    [got] = messages_to(kannel, "+33612345603")
    assert got.coding == "ucs-2"
    assert got.text == sms.text


def test_delivery_report_reaches_the_dlr_url_and_parses_as_delivered(kannel, gateway, dlr_server):
    assert gateway.send("+33612345604", "Test DLR", "gsm7", "outbox-42").accepted

    def mine(paths):
        return [p for p in paths if "ref=outbox-42&" in p]

    # The fake SMSC acknowledges (8) then reports delivery (1); smsbox calls the dlr-url for
    # each on its own connection, so they may reach the server in either order (the server
    # copes: tests/server/test_sms_outbox.py, a late ack): wait for both.
    assert dlr_server.wait_for(lambda paths: {"type=1", "type=8"} <= {
        t for p in mine(paths) for t in ("type=1", "type=8") if t in p}), \
        f"no DLR received: {dlr_server.requests}\n{kannel.log_tail()}"
    reports = [parse_dlr(parse_qs(urlsplit(p).query)) for p in mine(dlr_server.requests)]
    assert all(r.ref == "outbox-42" for r in reports)
    assert sorted(r.status for r in reports) == ["delivered", "submitted"]
    final = [r for r in reports if r.status == "delivered"]
    assert len(final) == 1 and final[0].raw_code == 1 and final[0].is_final
    assert all(urlsplit(p).path == "/sms/dlr" for p in dlr_server.requests)


def test_kannel_stopped_gives_a_retryable_result(tmp_path, caplog):
    harness = KannelHarness(tmp_path)
    with harness:
        gateway = KannelGateway(harness.base_url, harness.username, harness.password,
                                "http://127.0.0.1:9/dlr?" + DLR_QUERY, timeout=LIVE_TIMEOUT)
        assert gateway.send("+33612345605", "avant", "gsm7", "down-0").accepted
    assert not harness.running

    with caplog.at_level(logging.INFO, logger="carrefour.sms"):
        result = gateway.send("+33612345605", "après", "gsm7", "down-1")

    assert (result.accepted, result.retryable, result.unknown) == (False, True, False)
    assert result.status == "retry"
    for secret in ("612345605", harness.password):  # no number, no password in results/logs
        assert secret not in result.detail
        assert secret not in caplog.text


def test_timeout_after_sending_is_unknown_never_retryable():
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def swallow():  # read the request, never answer
        conn, _ = listener.accept()
        accepted.append(conn)
        conn.recv(65536)

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        gateway = KannelGateway(f"http://127.0.0.1:{port}", "u", "p",
                                "http://127.0.0.1:9/dlr?" + DLR_QUERY, timeout=0.5)
        result = gateway.send("+33612345606", "hello", "gsm7", "slow-1")
    finally:
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()

    assert (result.accepted, result.retryable, result.unknown) == (False, False, True)
    assert result.status == "unknown"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (202, "0: Accepted for delivery", "accepted"),
        (202, "3: Queued for later delivery", "accepted"),
        (200, "Sent.", "accepted"),
        (403, "Authorization failed for sendsms", "failed"),
        (400, "Number(s) has/have been denied by white- and/or black-lists.", "failed"),
        (503, "Temporal failure, try again later.", "retry"),
        (500, "Internal error", "retry"),
        (502, "Bad gateway", "unknown"),
        (504, "Gateway timeout", "unknown"),
    ],
)
def test_answers_are_classified(status, body, expected):
    with Loopback(lambda path: (status, body)) as fake:
        gateway = KannelGateway(fake.url, "carrefour", "s3cret",
                                "https://mairie.example/sms/dlr?" + DLR_QUERY, smsc="op",
                                sender="Mairie19")
        result = gateway.send("+33612345607", "Bonjour", "gsm7", "cls-1")
    assert result.status == expected
    [query] = fake.queries()
    assert query["to"] == ["+33612345607"]
    assert query["coding"] == ["0"] and query["charset"] == ["UTF-8"]
    assert query["dlr-mask"] == ["31"] and query["smsc"] == ["op"]
    assert query["from"] == ["Mairie19"]
    assert query["dlr-url"] == ["https://mairie.example/sms/dlr?ref=cls-1&type=%d&smsc=%i"
                                "&id=%F&answer=%A&at=%T"]


def test_ucs2_is_sent_as_utf8_with_coding_2():
    with Loopback(lambda path: (202, "0: Accepted for delivery")) as fake:
        gateway = KannelGateway(fake.url + "/cgi-bin/sendsms", "u", "p",
                                "http://x/dlr?ref={ref}&type=%d")
        assert gateway.send("+33612345608", "请前往 3 号窗口", "ucs2", "u-1").accepted
    [query] = fake.queries()
    assert query["coding"] == ["2"] and query["charset"] == ["UTF-8"]
    assert query["text"] == ["请前往 3 号窗口"]


def test_bad_arguments_fail_without_calling_the_gateway():
    gateway = KannelGateway("http://127.0.0.1:9", "u", "p", "http://x/?ref={ref}&type=%d")
    assert gateway.send("0612345678", "x", "gsm7", "r").status == "failed"
    assert gateway.send("+33612345678", "", "gsm7", "r").status == "failed"
    assert gateway.send("+33612345678", "x", "latin1", "r").status == "failed"
    assert gateway.send("+33612345678", "x", "gsm7", "bad ref%C").status == "failed"
    with pytest.raises(ValueError):
        KannelGateway("http://127.0.0.1:9", "u", "p", "http://x/dlr")


def test_classify_response_extracts_a_message_id_when_present():
    result = classify_response(202, "0: Accepted for delivery 0b1e7bd4-8f62-4f4e-9c5e-2f1a7d9e2c11")
    assert result == SendResult(True, False, "0b1e7bd4-8f62-4f4e-9c5e-2f1a7d9e2c11",
                                result.detail)


def test_log_gateway_records_and_masks(caplog):
    gateway = LogGateway()
    with caplog.at_level(logging.INFO, logger="carrefour.sms.log"):
        result = gateway.send("+33612345678", "Bonjour", "gsm7", "dev-1")
    assert result.accepted and result.gateway_id == "log-1"
    assert gateway.messages[0].to == "+33612345678"
    assert "+33 6 •• •• •• 78" in caplog.text
    assert "612345678" not in caplog.text


@pytest.mark.parametrize(
    ("code", "status"),
    [("1", "delivered"), ("2", "failed"), ("4", "buffered"), ("8", "submitted"),
     ("16", "rejected")],
)
def test_parse_dlr_maps_kannel_types(code, status):
    report = parse_dlr({"ref": "outbox-7", "type": code, "answer": "ACK/", "id": "abc"})
    assert (report.ref, report.status, report.raw_code) == ("outbox-7", status, int(code))
    assert report.answer == "ACK/" and report.gateway_id == "abc"


def test_parse_dlr_accepts_parse_qs_lists_and_rejects_garbage():
    assert parse_dlr({"ref": ["r1"], "type": ["1"]}).status == "delivered"
    assert parse_dlr({"ref": "r1", "type": "9"}).status == "delivered"  # 8|1: most final
    for bad in ({"type": "1"}, {"ref": "r1"}, {"ref": "r1", "type": "x"},
                {"ref": "r1", "type": "0"}, {"ref": "r1", "type": "64"},
                {"ref": "a b", "type": "1"}):
        with pytest.raises(DlrError):
            parse_dlr(bad)


def test_fakesmsc_log_parsing():
    log = (
        "2026-11-22 21:35:27 [1] [0] INFO: fakesmsc starting\n"
        "2026-11-22 21:35:28 [1] [0] DEBUG: Got message 1: <Mairie19 +33612345678 text "
        "Bonjour éè€ []>\n"
        "2026-11-22 21:35:34 [1] [0] DEBUG: Got message 2: <M +336 ucs-2 %06'%06D%00+%003>\n"
    )
    first, second = parse_fakesmsc_log(log)
    assert (first.to, first.text) == ("+33612345678", "Bonjour éè€ []")
    assert (second.coding, second.text) == ("ucs-2", "\u0627\u0644 3")
