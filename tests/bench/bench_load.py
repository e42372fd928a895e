"""Load test of the production set-up on loopback: PostgreSQL + the server as shipped.

What runs (all on 127.0.0.1, all stopped and removed at the end, even on Ctrl-C):
- PostgreSQL: a throw-away cluster from deploy/dev/postgres.sh (pg_start / pg_stop), a fresh
  database, `migrate`, `createcachetable` (the rate limiter's shared counters), `load_demo`;
- the server exactly as deploy/server/carrefour-server.service starts it: its ExecStartPre
  and ExecStart with deploy/server/gunicorn.conf.py (ASGI, uvicorn workers, cores + 1),
  read from the files (tests/support/unit.py), DEBUG=0, the database cache, the rate limits;
- the load: locust (as a library, FastHttpUser, in a child process: locust monkey-patches
  the process with gevent, which must not leak into the other benches), in two phases of
  one run against the same server:
  1. no long-polls: KIOSKS kiosks (tickets with their own tokens, content with ETag, queue
     status), COUNTERS logged-in agents (their counter's etat.json every second, "call next"
     now and then), PHONES phone pages, and probes of the bare /api/v1/health endpoint;
  2. the same, plus LONG_POLLERS kiosks holding the content long-poll
     (/api/v1/content/changes, 25 s, again at once) as real kiosks do all day; agents save
     an edit every few seconds (a `manage shell` kept open, like a back-office save) and each kiosk
     applies the delta its long-poll's answer carries (fetching it when the answer has none,
     over the size cap), as kiosk/sync/engine.py does.
  The targets: /health and ticket creation p99 in phase 2 <= 2 x phase 1; 0 timeouts, 0 5xx;
  an edit reaches the kiosks with p95 <= 5 s. Printed: the server's memory per waiting kiosk
  (the workers' RSS with the long-polls parked minus before them, over LONG_POLLERS), and
  its CPU per request answered in each phase (a figure the machine's other load moves
  less than the latencies: a saturated server's p99 is mostly its queue).

The users do what the product's pages do (kiosk/server/web/static/web/*.js): the console
polls etat.json a second after each answer and the phone page 5 s after each answer near the
turn, 10 or 15 s far from it (phone.js, pollDelay: the same rule here), both with
If-None-Match (conditional polling: 304 while the site's queue has not moved, see
docs/queues.md); a phone page stops polling when its ticket is over, so each of the PHONES
users follows an open ticket (the morning's waiting tickets, then the ones the kiosks issue)
and takes another one when its ticket closes: PHONES pages stay open all along. Under this
load the site's queue changes several times a second, so most polls still get a full 200.

    .venv/bin/python -m tests.bench load      (BENCH_LOAD_SECONDS: each phase, default 45)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.server.launcher import LocalServer, free_port
from tests.bench.table import Row
from tests.support.unit import describe, start_as_unit

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "deploy" / "dev" / "postgres.sh"
PHASE = float(os.environ.get("BENCH_LOAD_SECONDS", "45"))  # each phase's length
WARMUP = 5.0  # the ramp-up: requests started before it are not counted
SETTLE = 10.0  # phase 2: the long-polls connect; not counted
DURATION = 2 * PHASE + SETTLE
KIOSKS, COUNTERS, PHONES, PROBES = 100, 60, 500, 5
LONG_POLLERS = 500
EDIT_EVERY = 6.0  # s between two agents' saves in phase 2
PHONE_POLL_S = 5.0  # phone.js: POLL_MS, near the turn


def phone_poll_delay(state: dict | None) -> float:
    """phone.js pollDelay: 5 s near the turn, 10 s beyond 15 min and 5 ahead, 15 s beyond 30."""
    if (not state or state.get("status") != "waiting" or state.get("estimate") is None
            or state.get("ahead") is None):
        return PHONE_POLL_S
    if state["estimate"] <= 15 or state["ahead"] <= 5:
        return PHONE_POLL_S
    return PHONE_POLL_S * (3 if state["estimate"] > 30 else 2)


# What the users ask for, per second, when the server keeps up (the wait times below); the
# phones' share depends on their tickets' places: measured as the run goes (mean delay).
OFFERED_BUT_PHONES = KIOSKS / 10 + COUNTERS * (1 + 1 / 30) + PROBES / 0.5
WAITING_AT_START, CLOSED_AT_START = 200, 300  # the phones follow these 500 tickets
TARGET = 2.0

# Run in `manage shell` on the fresh database: kiosks, counters, agents with sessions, the
# morning's tickets. Prints one JSON line.
SETUP = r"""
import datetime as dt, json, random
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from kiosk.server.accounts.sessions import ENDS_AT, session_end
from kiosk.domain.tickets import TicketStatus
from kiosk.server.accounts.models import Role, SiteMembership
from kiosk.server.content.models import Service, Site
from kiosk.server.devices.models import Kiosk
from kiosk.server.queueing.models import Counter, Ticket, TicketSequence

N_KIOSKS, N_COUNTERS, WAITING, CLOSED = %(kiosks)d, %(counters)d, %(waiting)d, %(closed)d
N_LONG_POLLERS = %(long_pollers)d
rng = random.Random(19)
site = Site.objects.get(slug="paris-19")
tokens = [Kiosk.objects.register(site, f"Borne charge {i:03d}")[1]
          for i in range(max(N_KIOSKS, N_LONG_POLLERS))]
patterns = [list(c.services.all()) for c in Counter.objects.filter(site=site)]
counters = list(Counter.objects.filter(site=site))
for c in counters:
    c.is_open = True
    c.save()
for i in range(len(counters), N_COUNTERS):
    c = Counter.objects.create(site=site, name=f"Guichet {i + 1}", is_open=True)
    c.services.set(patterns[i %% len(patterns)])
    counters.append(c)
User = get_user_model()
sessions = []
for i, c in enumerate(counters[:N_COUNTERS]):
    user = User(username=f"charge-{i:02d}")
    user.set_unusable_password()
    user.save()
    SiteMembership.objects.create(user=user, site=site, role=Role.COUNTER)
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # The deadline a login sets (accounts/sessions.py): without it the first request logs
    # the agent out, and the consoles' load is a redirect to the login page.
    s[ENDS_AT] = session_end(timezone.now(), settings.SESSION_END_OF_DAY,
                             settings.SESSION_MAX_HOURS).timestamp()
    s.create()
    sessions.append({"counter": c.pk, "session": s.session_key})
services = list(Service.objects.filter(site=site, ticketing=True).order_by("pk"))
now = timezone.now()
day = timezone.localdate()
numbers = {}
rows = []
total = WAITING + CLOSED
for i in range(total):
    service = services[i %% len(services)]
    numbers[service.pk] = numbers.get(service.pk, 0) + 1
    issued = now - dt.timedelta(minutes=120) + dt.timedelta(minutes=120) * i / total
    t = Ticket(site=site, service=service, issued_service=service, day=day,
               number=numbers[service.pk], prefix=service.prefix, queued_at=issued,
               priority="elderly" if rng.random() < 0.05 else "")
    if i < CLOSED:
        t.status = TicketStatus.DONE if rng.random() < 0.9 else TicketStatus.NO_SHOW
        t.counter = counters[i %% 6]
        t.called_at = t.drawn_at = issued + dt.timedelta(minutes=rng.uniform(1, 20))
        t.finished_at = t.called_at + dt.timedelta(minutes=rng.lognormvariate(2.0, 0.5))
    rows.append(t)
Ticket.objects.bulk_create(rows)
for pk, n in numbers.items():
    TicketSequence.objects.update_or_create(service_id=pk, day=day, defaults={"last_number": n})
print(json.dumps({
    "kiosk_tokens": tokens, "agents": sessions,
    "services": [s.slug for s in services],
    "phones": list(Ticket.objects.filter(site=site, day=day, status=TicketStatus.WAITING)
                   .values_list("public_token", flat=True)),
}))
"""


# -- the load (child process) ---------------------------------------------------------------


def drive(config_path: str, out_path: str) -> None:
    """Run the users for DURATION s (locust, headless, in this process) and write the samples."""
    import itertools
    import random
    import uuid

    import gevent
    from locust import FastHttpUser, between, constant, constant_pacing, events, task
    from locust.env import Environment

    cfg = json.loads(Path(config_path).read_text())
    started = time.time()
    samples: dict[str, dict[str, list]] = {"1": {}, "2": {}}  # phase -> name -> samples

    def on_request(request_type, name, response_time, response_length, response=None,
                   exception=None, start_time=None, **_):
        phase = phase_of((start_time or time.time()) - started)
        if phase is None:
            return
        code = getattr(response, "status_code", 0) or 0
        samples[phase].setdefault(name, []).append((response_time, code, bool(exception)))

    kiosk_ids, phone_ids, agent_ids = itertools.count(), itertools.count(), itertools.count()
    open_tickets = list(cfg["phones"])  # tokens of waiting tickets, newest appended
    phone_delays: list[float] = []  # every delay a phone page chose (after the warm-up)
    csrf = "loadbenchcsrf0123456789abcdefghi"  # 32 alphanumerics: a valid CSRF secret
    assert len(csrf) == 32

    class KioskUser(FastHttpUser):
        fixed_count = KIOSKS
        wait_time = between(5, 15)

        def on_start(self):
            self.token = cfg["kiosk_tokens"][next(kiosk_ids) % len(cfg["kiosk_tokens"])]
            self.auth = {"Authorization": f"Bearer {self.token}"}
            self.cursor, self.etag = None, None

        @task(1)
        def ticket(self):
            body = {"service": random.choice(cfg["services"]), "language": "fr",
                    "priority": "elderly" if random.random() < 0.05 else ""}
            r = self.client.post("/api/v1/tickets", json=body, name="ticket create",
                                 headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())})
            if r.status_code == 201:
                open_tickets.append(r.json()["id"])  # a visitor who will open its page

        @task(2)
        def queues(self):
            self.client.get("/api/v1/queues", headers=self.auth, name="queues")

        @task(1)
        def content(self):
            headers = dict(self.auth)
            path = "/api/v1/content"
            if self.cursor:
                path += f"?since={self.cursor}"
                headers["If-None-Match"] = self.etag
            with self.client.get(path, headers=headers, name="content",
                                 catch_response=True) as r:
                if r.status_code == 200:
                    self.cursor, self.etag = r.json()["cursor"], r.headers.get("ETag")
                    r.success()
                elif r.status_code == 304:
                    r.success()

    class AgentUser(FastHttpUser):
        fixed_count = COUNTERS
        wait_time = constant_pacing(1.0)

        def on_start(self):
            agent = cfg["agents"][next(agent_ids) % len(cfg["agents"])]
            self.counter = agent["counter"]
            self.headers = {"Cookie": f"sessionid={agent['session']}; csrftoken={csrf}",
                            "Accept": "application/json"}
            self.etag = None

        @task
        def poll(self):
            headers = {**self.headers, "If-None-Match": self.etag} if self.etag else self.headers
            # Not followed: a logged-out agent's redirect is a failure, not the login page.
            r = self.client.get(f"/guichet/{self.counter}/etat.json", headers=headers,
                                name="counter state", allow_redirects=False)
            if r.status_code == 200:
                self.etag = r.headers.get("ETag")
            if random.random() < 1 / 30:  # about one visitor every 30 s per counter
                self.client.post(f"/guichet/{self.counter}/next/", name="counter next",
                                 headers={**self.headers, "X-CSRFToken": csrf},
                                 allow_redirects=False)

    class PhoneUser(FastHttpUser):
        fixed_count = PHONES

        def wait_time(self):  # phone.js: the next poll 5-15 s after an answer
            delay = phone_poll_delay(self.state)
            if time.time() >= started + WARMUP:
                phone_delays.append(delay)
            return delay

        def on_start(self):
            self.follow(open_tickets[next(phone_ids) % len(open_tickets)])

        def follow(self, token):
            self.token, self.etag, self.state = token, None, None

        @task
        def poll(self):
            headers = {"Accept": "application/json"}
            if self.etag:
                headers["If-None-Match"] = self.etag
            r = self.client.get(f"/t/{self.token}/etat.json", name="ticket status",
                                headers=headers)
            if r.status_code == 200:
                self.etag, self.state = r.headers.get("ETag"), r.json()
                if not self.state["open"]:  # the page stops; another visitor's page opens
                    self.follow(random.choice(open_tickets[-200:]))

    class ProbeUser(FastHttpUser):
        fixed_count = PROBES
        wait_time = constant_pacing(0.5)

        @task
        def health(self):
            self.client.get("/api/v1/health", name="bare health")

    poll_ids, parked = itertools.count(), [0]
    embedded = [0, 0]  # changed answers with the delta in them, without (then fetched)
    arrivals: list[tuple[int, int, float]] = []  # (long-poller, cursor it now holds, time)
    edits: list[tuple[int, float]] = []  # (cursor after the save, time.time() of the commit)
    memory: dict[str, float] = {}

    class LongPollUser(FastHttpUser):
        """A lobby kiosk between two syncs: the 25 s content long-poll, again at once; on
        `changed`, the delta the answer carries, else GET /content for it (what
        kiosk/sync/engine.py does). Phase 2 only."""

        fixed_count = LONG_POLLERS
        wait_time = constant(0)

        def on_start(self):
            self.n = next(poll_ids)
            self.auth = {"Authorization": f"Bearer {cfg['kiosk_tokens'][self.n]}"}
            gevent.sleep(max(0.0, started + PHASE - time.time()) + random.uniform(0, SETTLE / 2))
            r = self.client.get("/api/v1/content/changes?wait=0", headers=self.auth,
                                name="long-poll (first look)")
            self.cursor = int(r.json()["cursor"])  # as if synced: no full snapshot each

        @task
        def poll(self):
            parked[0] += 1
            try:  # gzip accepted, as the kiosk's `requests` does
                r = self.client.get(f"/api/v1/content/changes?since={self.cursor}&wait=25",
                                    headers={**self.auth, "Accept-Encoding": "gzip"},
                                    name="long-poll")
            finally:
                parked[0] -= 1
            if r.status_code != 200:
                return
            answer = r.json()
            if not answer["changed"]:
                return
            delta = answer.get("delta")
            if delta is None:  # over the server's size cap (or an older server): fetch it
                d = self.client.get(f"/api/v1/content?since={self.cursor}", name="content delta",
                                    headers={**self.auth, "Accept-Encoding": "gzip"})
                if d.status_code != 200:
                    return
                delta = d.json()
            self.cursor = int(delta["cursor"])
            arrivals.append((self.n, self.cursor, time.time()))
            embedded[0 if "delta" in answer else 1] += 1

    agent = subprocess.Popen([sys.executable, "-m", "kiosk.server", "shell", "-c", EDITOR],
                             env=cfg["env"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, bufsize=1)
    for line in agent.stdout:  # (the shell's own banner lines come first)
        if line.strip() == "ready":
            break
    else:
        raise RuntimeError("the editor's shell did not start")

    def editor():
        """Phase 2: an agent saves one service's hours every EDIT_EVERY s."""
        gevent.sleep(max(0.0, started + PHASE + SETTLE - time.time()))
        # Every kiosk in its long-poll (or 20 s more at most, on a crowded machine).
        deadline = time.time() + 20
        while parked[0] < 0.98 * LONG_POLLERS and time.time() < deadline:
            gevent.sleep(0.2)
        memory["parked"] = parked[0]
        memory["with_long_polls"] = server_rss(cfg["server_pid"])
        n = 0
        while time.time() < started + DURATION - 10:
            n += 1
            agent.stdin.write(f"{cfg['edit_service']} 18:{n % 50 + 10:02d}\n")
            saved_at, cursor = agent.stdout.readline().split()
            edits.append((int(cursor), float(saved_at)))
            gevent.sleep(EDIT_EVERY)

    def before_long_polls():
        gevent.sleep(max(0.0, started + PHASE - 1 - time.time()))
        memory["without_long_polls"] = server_rss(cfg["server_pid"])

    def cpu_marks():
        """The server's CPU seconds at the edges of the two measured windows (phase_of)."""
        for mark in (WARMUP, PHASE, PHASE + SETTLE, DURATION - 0.5):
            gevent.sleep(max(0.0, started + mark - time.time()))
            memory.setdefault("cpu", []).append(server_cpu(cfg["server_pid"]))
            memory.setdefault("workers", []).append(
                [p for p in _group(cfg["server_pid"]) if p != cfg["server_pid"]])
            # The driver's own (one process, one core at most): near a whole core, what
            # the bench measures includes the driver's delays.
            usage = resource.getrusage(resource.RUSAGE_SELF)
            memory.setdefault("driver_cpu", []).append(usage.ru_utime + usage.ru_stime)

    classes = [KioskUser, AgentUser, PhoneUser, ProbeUser, LongPollUser]
    for cls in classes:
        cls.host = cfg["url"]
        cls.connection_timeout = cls.network_timeout = 60.0
    events.request.add_listener(on_request)
    env = Environment(user_classes=classes, events=events)
    runner = env.create_local_runner()
    users = KIOSKS + COUNTERS + PHONES + PROBES + LONG_POLLERS
    runner.start(users, spawn_rate=users / (WARMUP - 1))
    gevent.spawn(before_long_polls)
    gevent.spawn(cpu_marks)
    gevent.spawn(editor)
    gevent.spawn_later(DURATION, runner.quit)
    runner.greenlet.join()
    agent.stdin.close()
    agent.wait(timeout=30)
    Path(out_path).write_text(json.dumps({
        "samples": samples, "measured_s": {"1": PHASE - WARMUP, "2": PHASE},
        "phone_rate": statistics.fmean(1 / d for d in phone_delays or [PHONE_POLL_S]),
        "arrivals": arrivals, "edits": edits, "memory": memory, "embedded": embedded,
        "started": started}))


def phase_of(t: float) -> str | None:
    """Seconds since the start -> "1" (no long-polls), "2" (with them) or None (ramps)."""
    if WARMUP <= t < PHASE:
        return "1"
    if t >= PHASE + SETTLE:
        return "2"
    return None


def _group(pid: int) -> list[int]:
    """The processes of `pid`'s process group (the server's: its master and workers)."""
    group, pids = os.getpgid(pid), []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.getpgid(int(entry)) == group:
                pids.append(int(entry))
        except OSError:  # gone meanwhile
            continue
    return pids


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the server's processes, workers that gunicorn
    replaced included (counted in the master's children's times)."""
    ticks = 0
    for member in _group(pid):
        try:
            with open(f"/proc/{member}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if member == pid:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped workers
    return ticks / os.sysconf("SC_CLK_TCK")


def server_rss(pid: int) -> float:
    """kB of resident memory of the server's processes."""
    total = 0.0
    for member in _group(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                total += next(float(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            continue
    return total


# The agents' saves, in one `manage shell` started before the load (a process per save
# would spend a Django start-up, over a second of CPU, beside the server it measures): a
# line "slug close" in, a line "time.time() cursor" out once the save committed.
EDITOR = """
import sys, time
from kiosk.server.content.models import ContentVersion, Service
print("ready", flush=True)
for line in sys.stdin:
    slug, close = line.split()
    s = Service.objects.get(slug=slug)
    s.hours = [dict(h, close=close) if i == 0 else h for i, h in enumerate(s.hours)]
    s.save()
    print(time.time(), ContentVersion.objects.get(site_id=s.site_id).seq, flush=True)
"""


# -- the bench (parent process) -------------------------------------------------------------


def _pg(tmp: Path, call: str, port: int = 0) -> str:
    env = {**os.environ, "PG_DIR": str(tmp / "pg"), "PG_PORT": str(port or 55432)}
    result = subprocess.run(
        ["bash", "-c", f'source "{PG_SCRIPT}" && {call} && echo "URL=${{DATABASE_URL_PG:-}}"'],
        env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{call} failed:\n{result.stdout}\n{result.stderr}")
    return next((line[4:] for line in result.stdout.splitlines() if line.startswith("URL=")), "")


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _measure() -> tuple[dict, str]:
    tmp = Path(tempfile.mkdtemp(prefix="carrefour-load-"))
    tmp.chmod(0o755)  # initdb runs as 'postgres' when we are root: it must reach tmp/pg
    server, driver, pg_started = None, None, False
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        print("  starting PostgreSQL…", file=sys.stderr, flush=True)
        pg_started = True
        url = _pg(tmp, "pg_start", free_port())
        server = LocalServer(data_dir=tmp / "server", database_url=url, extra_env={
                                 "CACHE_URL": "db://carrefour_cache",
                                 "TRUSTED_PROXIES": "127.0.0.1,::1",
                                 "PYTHONDONTWRITEBYTECODE": "1", "LOG_LEVEL": "WARNING"})
        server.manage("migrate", "--noinput")
        server.manage("createcachetable")
        server.manage("load_demo")
        print("  registering kiosks, counters, agents, tickets…", file=sys.stderr, flush=True)
        out = server.manage("shell", "-c", SETUP % {
            "kiosks": KIOSKS, "counters": COUNTERS, "waiting": WAITING_AT_START,
            "closed": CLOSED_AT_START, "long_pollers": LONG_POLLERS})
        cfg = json.loads(out.strip().splitlines()[-1])
        start_as_unit(server)  # ExecStartPre, then ExecStart, as the unit ships them
        cfg.update(url=server.url, server_pid=server.process.pid, env=server.env(),
                   edit_service=cfg["services"][0])
        (tmp / "config.json").write_text(json.dumps(cfg))
        print(f"  load for {DURATION:.0f} s on {server.url} (gunicorn {describe()})…",
              file=sys.stderr, flush=True)
        driver = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.bench_load", "--drive",
             str(tmp / "config.json"), str(tmp / "samples.json")],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp / "driver.log", "wb"),  # noqa: SIM115
            start_new_session=True)
        if driver.wait(timeout=DURATION + 120) != 0:
            raise RuntimeError(f"load driver failed:\n{(tmp / 'driver.log').read_text()[-3000:]}")
        data = json.loads((tmp / "samples.json").read_text())
        log_tail = (server.data_dir / "server.log").read_text(errors="replace")
        errors = [line for line in log_tail.splitlines() if "Traceback" in line or "ERROR" in line]
        return data, "\n".join(errors[:5])
    finally:
        if driver is not None and driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
        if server is not None:
            server.stop()
        if pg_started:
            try:
                _pg(tmp, "pg_stop")
            except Exception as exc:  # noqa: BLE001 - keep cleaning up
                print(f"  pg_stop: {exc}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _redirect(code: int) -> bool:
    return 300 <= code < 400 and code != 304


def _stats(samples: dict, seconds: float) -> dict:
    stats = {}
    for name, rows in samples.items():
        lat = [r[0] for r in rows]
        stats[name] = {
            "n": len(rows), "rps": len(rows) / seconds, "p50": _pct(lat, 50), "p99": _pct(lat, 99),
            # A redirect is a failure too: every request here expects its answer, not the
            # login page (an agent logged out) nor another address.
            "5xx": sum(1 for r in rows if r[1] >= 500 or _redirect(r[1]) or (r[1] == 0 and r[2])),
            "4xx": sum(1 for r in rows if 400 <= r[1] < 500),
            "codes": sorted({r[1] for r in rows if r[1] >= 400 or r[1] == 0 or _redirect(r[1])}),
            "304": sum(1 for r in rows if r[1] == 304),
        }
    return stats


def _lags(data: dict) -> tuple[list[float], list[float], int]:
    """Per (kiosk, edit): seconds from the save to the kiosk holding its cursor; per edit:
    until the last kiosk; and how many (kiosk, edit) never arrived."""
    held: dict[int, list[tuple[float, int]]] = {}
    for n, cursor, at in data["arrivals"]:
        held.setdefault(n, []).append((at, cursor))
    lags, alls, missing = [], [], 0
    for cursor, saved in data["edits"]:
        these = []
        for n in range(LONG_POLLERS):
            at = next((t for t, c in sorted(held.get(n, [])) if c >= cursor), None)
            if at is None:
                missing += 1
            else:
                these.append(max(0.0, at - saved))
        lags += these
        if these:
            alls.append(max(these))
        if "started" in data:  # where the misses are: an edit saved just before the end?
            print(f"  edit at cursor {cursor}: saved {saved - data['started']:.1f} s into the "
                  f"{DURATION:.0f} s run, reached {len(these)} kiosks, p95 "
                  f"{_pct(these, 95) if these else float('nan'):.2f} s", file=sys.stderr)
    return lags, alls, missing


def run() -> list[Row]:
    data, server_errors = _measure()
    one, two = (_stats(data["samples"][p], data["measured_s"][p]) for p in ("1", "2"))
    offered = OFFERED_BUT_PHONES + PHONES * data["phone_rate"]
    for label, stats in (("phase 1 (no long-polls)", one), ("phase 2 (+long-polls)", two)):
        summary = ", ".join(f"{k} {v['rps']:.1f}/s {v['5xx']}x5xx {v['4xx']}x4xx "
                            f"{v['codes'] or ''}" for k, v in sorted(stats.items()))
        print(f"  {label}: {summary}", file=sys.stderr)
    served = sum(s["n"] for k, s in two.items()
                 if not k.startswith(("long-poll", "content delta"))) / data["measured_s"]["2"]
    print(f"  phone pages: a poll every {1 / data['phone_rate']:.1f} s on average",
          file=sys.stderr)
    print(f"  phase 2 served {served:.0f} req/s (long-polls and deltas aside) of ~{offered:.0f} "
          f"offered; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other "
          "processes share the machine)", file=sys.stderr)
    with_delta, fetched = data.get("embedded", [0, 0])
    print(f"  long-poll answers `changed`: {with_delta} with the delta in them, {fetched} "
          "without (the delta then fetched)", file=sys.stderr)
    if server_errors:
        print(f"  server log errors:\n{server_errors}", file=sys.stderr)
    tag = f"PG, the unit's server, {KIOSKS}k+{COUNTERS}c+{PHONES}p"
    rows = []
    for name, label in (("ticket create", "ticket creation"), ("bare health", "bare /health"),
                        ("ticket status", "ticket status"), ("counter state", "counter state")):
        a, b = one.get(name), two.get(name)
        if a is None or b is None:
            rows.append(Row(f"load: {label} (no sample)", 0, "req", ok=False))
            continue
        targeted = name in ("ticket create", "bare health")
        rows.append(Row(f"load 1: {label} p99 ({tag}, no long-poll)", a["p99"], "ms",
                        ok=None if a["5xx"] == 0 else False))
        rows.append(Row(f"load 2: {label} p99 (+{LONG_POLLERS} kiosks long-polling)", b["p99"],
                        "ms", "phase 1", a["p99"], target=f"<= {TARGET:g}x" if targeted else "",
                        ok=(b["5xx"] == 0 and b["p99"] <= TARGET * a["p99"]) if targeted
                        else (None if b["5xx"] == 0 else False)))
    rows.append(Row("load 2: ticket creation throughput", two.get("ticket create", {"rps": 0})["rps"],
                    "req/s", "phase 1", one.get("ticket create", {"rps": 0})["rps"]))
    rows.append(Row("load 2: requests served (long-polls aside)", served, "req/s", "offered",
                    offered, target=">= 0.9x", ok=served >= 0.9 * offered))
    errors = sum(s["5xx"] for stats in (one, two) for s in stats.values())
    cpu = data["memory"].get("cpu", [])
    if len(cpu) == 4:
        # What a request costs the server, whatever the machine's load: its CPU over the
        # requests answered in the same window (phase 2: the long-polls' answers included).
        for phase, (a, b), stats in (("1", cpu[0:2], one), ("2", cpu[2:4], two)):
            answered = sum(s["n"] for s in stats.values())
            rows.append(Row(f"load {phase}: server CPU per request answered ({answered} req)",
                            1000 * (b - a) / max(answered, 1), "ms"))
    driver = data["memory"].get("driver_cpu", [])
    if len(driver) == 4:
        for phase, (a, b) in (("1", driver[0:2]), ("2", driver[2:4])):
            rows.append(Row(f"load {phase}: the load driver's CPU (one process; 1.0 = a core)",
                            (b - a) / data["measured_s"][phase], ""))
    workers = data["memory"].get("workers", [])
    if workers:
        # A worker gunicorn replaces (max_requests) drops its parked long-polls and its caches
        # and boots Django again on a loaded machine: in the measured windows, a measurement
        # of restarts rather than of load.
        replaced = len({p for pids in workers[1:] for p in pids} - set(workers[0]))
        rows.append(Row("load: server workers replaced during the measured windows", replaced,
                        "", target="== 0", ok=replaced == 0))
    rows.append(Row("load: 5xx / timeouts / failed (both phases, all users)", errors, "req",
                    target="== 0", ok=errors == 0))
    lags, alls, missing = _lags(data)
    memory = data["memory"]
    rows.append(Row("push: long-polls parked at once (phase 2)", memory.get("parked", 0), "req",
                    "kiosks", LONG_POLLERS))
    p95 = _pct(lags, 95) if lags else float("nan")
    rows.append(Row(f"push: edit -> kiosk p95 ({LONG_POLLERS} long-polling, "
                    f"{len(data['edits'])} edits)", p95, "s", "target", 5.0, target="<= 1.0x",
                    ok=bool(lags) and p95 <= 5.0 and missing == 0))
    rows.append(Row(f"push: edit -> all {LONG_POLLERS} kiosks (median over edits)",
                    statistics.median(alls) if alls else float("nan"), "s"))
    rows.append(Row("push: kiosk-edits never arrived", missing, "", target="== 0",
                    ok=missing == 0))
    if "with_long_polls" in memory and "without_long_polls" in memory and memory.get("parked"):
        per = (memory["with_long_polls"] - memory["without_long_polls"]) / memory["parked"]
        print(f"  server RSS: {memory['without_long_polls'] / 1024:.0f} MB before the long-polls, "
              f"{memory['with_long_polls'] / 1024:.0f} MB with {memory['parked']} parked",
              file=sys.stderr)
        rows.append(Row("push: server memory per waiting kiosk", per, "kB"))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--drive":
        drive(sys.argv[2], sys.argv[3])
    else:
        from tests.bench.table import render

        print(render(run()))
