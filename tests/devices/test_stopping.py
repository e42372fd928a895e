"""The stop's safety net (kiosk.ui.stopping): a clean path that overruns its budget is cut by
the forced exit, logged as an error, before systemd's TimeoutStopSec would SIGKILL the kiosk.
The clean path itself runs in the real kiosk process: tests/ui/test_clean_stop.py."""

from __future__ import annotations

import logging
import threading
import time

from kiosk.ui import stopping


def test_the_deadline_forces_the_exit_once_the_budget_is_spent(monkeypatch, caplog):
    exited = threading.Event()
    monkeypatch.setattr(stopping, "finish_exit", exited.set)
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="carrefour.kiosk"):
        stopping._deadline(started, budget=0.0)
    assert exited.is_set()
    assert "clean stop still running after 0.0 s: exiting without it" in caplog.text


def test_the_deadline_reads_the_budget_when_it_runs(monkeypatch):
    exited = threading.Event()
    monkeypatch.setattr(stopping, "finish_exit", exited.set)
    monkeypatch.setattr(stopping, "STOP_BUDGET", 0.0)
    stopping._deadline(time.monotonic())
    assert exited.is_set()


def test_the_deadline_waits_while_the_budget_lasts(monkeypatch):
    """A budget not spent yet: no exit (the thread is still waiting when it is looked at)."""
    exited = threading.Event()
    monkeypatch.setattr(stopping, "finish_exit", exited.set)
    thread = threading.Thread(target=stopping._deadline, args=(time.monotonic(), 3600.0),
                              daemon=True)
    thread.start()
    assert thread.is_alive() and not exited.is_set()

