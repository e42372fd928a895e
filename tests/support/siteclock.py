"""One clock for a test's processes, at mid-morning at the site, whatever the hour the tests run.

A scenario that books "in 30 minutes", lists the 5-minute marks around now or simulates an hour
of SMS is a different scenario when the run happens at 23:40 (the slot is tomorrow's, the marks
stop at midnight, the hour ends on the next day). The server, its commands and the kiosk are
real processes: a small preloaded library (siteclock.c, built here with the C compiler
deploy/dev/bootstrap.sh test installs) shifts their wall clock by one offset, so "now" is 10:00
at the site, today, when this module is imported, and the clock runs from there. The monotonic
clock, sleeps and timed waits are left alone (timeouts and Kivy's frames keep real time). In the test process itself, `utc_now`/`site_today` give the same
shifted clock (`use_in_process` puts it under kiosk.domain.clock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

from kiosk.domain import clock

# The site's time when the tests start: open hours, far from midnight. TESTS_SITE_TIME=23:40
# runs them at another (to see what a scenario does near midnight).
START = dt.time.fromisoformat(os.environ.get("TESTS_SITE_TIME", "10:00"))
SOURCE = Path(__file__).with_name("siteclock.c")
BUILD = Path(__file__).resolve().parents[2] / ".venv" / "siteclock"


def library() -> Path:
    """The preload library, built once per version of its source (atomically: test workers
    may ask at the same time)."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    built = BUILD / f"siteclock-{digest}.so"
    if not built.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=BUILD, suffix=".so")
        os.close(fd)
        try:
            subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", tmp,
                            str(SOURCE), "-ldl"], check=True, capture_output=True, text=True)
            os.replace(tmp, built)
        except FileNotFoundError as exc:
            raise RuntimeError("no C compiler: run `deploy/dev/bootstrap.sh test`") from exc
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"building {SOURCE.name} failed:\n{exc.stderr}") from exc
        finally:
            Path(tmp).unlink(missing_ok=True)
    return built


def offset_for(moment: dt.datetime, start: dt.time) -> int:
    """Seconds to add to `moment` for the site's clock to read `start`, the same site day."""
    here = moment.astimezone(clock.zone())
    target = here.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    return round((target - here).total_seconds())


OFFSET = offset_for(dt.datetime.now(dt.UTC), START)  # added to the real clock (< 0 after 10:00)


def env() -> dict[str, str]:
    """The environment a server, command or kiosk process takes to run on the shifted clock."""
    return {"LD_PRELOAD": str(library()), "SITECLOCK_OFFSET": str(OFFSET)}


def utc_now() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time() + OFFSET, dt.UTC)


def site_now() -> dt.datetime:
    return utc_now().astimezone(clock.zone())


def site_today() -> dt.date:
    return site_now().date()


def use_in_process(monkeypatch) -> None:
    """The test process's site clock (its TicketDesk leases, its "today") on the same offset."""
    monkeypatch.setattr(clock, "_utc_now", utc_now)
