"""The printer at the kiosk's stop: a ticket being sent finishes whole, then none starts."""

from __future__ import annotations

import threading

from kiosk.devices.printer import EscposPrinter, NullPrinter, PrintResult, TicketPrint


def ticket() -> TicketPrint:
    from datetime import datetime

    return TicketPrint(site_name="Mairie du 19e", number="C042", service_name="État civil",
                       issued_at=datetime(2025, 5, 14, 10, 42), language="fr")


def test_close_waits_for_the_ticket_being_sent_then_refuses_new_ones(tmp_path, monkeypatch):
    out = tmp_path / "ticket.bin"
    printer = EscposPrinter("file", path=str(out))
    sending, release = threading.Event(), threading.Event()
    real_send = printer._send

    def slow_send(data):  # the printer is busy with this ticket until `release`
        sending.set()
        release.wait()
        return real_send(data)

    monkeypatch.setattr(printer, "_send", slow_send)
    results = []
    job = threading.Thread(target=lambda: results.append(printer.print_ticket(ticket())))
    job.start()
    sending.wait()
    assert printer.close(timeout=0.05) is False  # the job outlasts the wait: said so
    release.set()
    job.join()
    assert results == [PrintResult(True, "ok", "")] and b"C042" in out.read_bytes()
    size = out.stat().st_size
    refused = printer.print_ticket(ticket())
    assert (refused.ok, refused.status) == (False, "absent") and out.stat().st_size == size


def test_close_of_an_idle_printer_is_immediate():
    printer = EscposPrinter("file", path="/dev/null")
    assert printer.close(timeout=0.05) is True
    assert NullPrinter().close() is True
