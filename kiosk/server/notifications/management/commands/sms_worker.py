"""The SMS outbox worker: `python -m kiosk.server sms_worker` (a systemd service in production)."""

from __future__ import annotations

import signal
import threading
import time

from django.core.management.base import BaseCommand

from kiosk.server.notifications.services import gateway_from_settings, run_once


class Command(BaseCommand):
    help = "Send the pending SMS of the outbox (Kannel or log backend), forever or --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between passes")
        parser.add_argument("--near-every", type=float, default=60.0,
                            help="seconds between two checks of the \"turn is near\" rule with "
                                 "time alone (estimates shrink while visitors are served)")

    def handle(self, *args, once=False, interval=1.0, near_every=60.0, **options):
        from kiosk.server.queueing.notices import do_check_near_turns

        gateway = gateway_from_settings()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"sms worker: gateway {gateway!r}", ending="\n")
        self.stdout.flush()
        checked_at = -near_every
        while True:
            if time.monotonic() - checked_at >= near_every:
                checked_at = time.monotonic()
                do_check_near_turns()
            counts = run_once(gateway)
            if counts:
                self.stdout.write("sms worker: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
                self.stdout.flush()
            if once or stop.wait(interval):
                return
