"""Load test of the production set-up on loopback: PostgreSQL + gunicorn + the real settings.

What runs (all on 127.0.0.1, all stopped and removed at the end, even on Ctrl-C):
- PostgreSQL: a throw-away cluster from deploy/dev/postgres.sh (pg_start / pg_stop), a fresh
  database, `migrate`, `createcachetable` (the rate limiter's shared counters), `load_demo`;
- the server as deploy/server/carrefour-server.service runs it: `migrate --check`, then gunicorn
  kiosk.server.wsgi with the unit's flags, DEBUG=0, the database cache, the rate limits on;
  WORKERS x THREADS instead of the unit's 3 x 8 (a small machine shares its cores with the
  load generator and PostgreSQL);
- the load: locust (as a library, FastHttpUser, in a child process: locust monkey-patches
  the process with gevent, which must not leak into the other benches), for DURATION s:
  KIOSKS kiosks (tickets with their own tokens, content with ETag, queue status), COUNTERS
  logged-in agents (their counter's etat.json every second, "call next" now and then),
  PHONES phone pages, and a few probes of the bare /api/v1/health endpoint (no database,
  no auth) measured under the same load.

The users do what the product's pages do (kiosk/server/web/static/web/*.js): the console
polls etat.json a second after each answer and the phone page 5 s after each answer near the
turn, 10 or 15 s far from it (phone.js, pollDelay: the same rule here), both with
If-None-Match (conditional polling: 304 while the site's queue has not moved, see
docs/queues.md); a phone page stops polling when its ticket is over, so each of the PHONES
users follows an open ticket (the morning's waiting tickets, then the ones the kiosks issue)
and takes another one when its ticket closes: PHONES pages stay open all along. (Until
the conditional polling, the phones were modelled as polling every 2-5 s whatever their
ticket's state, 300 of them on closed tickets.) Under this load the site's queue changes
several times a second, so most polls still get a full 200: the 304s do not flatter it.

The rows: throughput and p50/p99 of ticket creation, ticket status and the bare endpoint; the
target is p99(ticket) <= 2 x p99(bare). Any 5xx fails its row.

    .venv/bin/python -m tests.bench load
"""

from __future__ import annotations

import json
import os
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

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "deploy" / "dev" / "postgres.sh"
DURATION = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
WARMUP = 5.0  # the ramp-up: requests started before it are not counted
KIOSKS, COUNTERS, PHONES, PROBES = 100, 60, 500, 5
PHONE_POLL_S = 5.0  # phone.js: POLL_MS, near the turn


def phone_poll_delay(state: dict | None) -> float:
    """phone.js pollDelay: 5 s near the turn, 10 s beyond 15 min and 5 ahead, 15 s beyond 30."""
    if (not state or state.get("status") != "waiting" or state.get("estimate") is None
            or state.get("ahead") is None):
        return PHONE_POLL_S
    if state["estimate"] <= 15 or state["ahead"] <= 5:
        return PHONE_POLL_S
    return PHONE_POLL_S * (3 if state["estimate"] > 30 else 2)


WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_LOAD_THREADS", "4"))
# What the users ask for, per second, when the server keeps up (the wait times below); the
# phones' share depends on their tickets' places: measured as the run goes (mean delay).
OFFERED_BUT_PHONES = KIOSKS / 10 + COUNTERS * (1 + 1 / 30) + PROBES / 0.5
WAITING_AT_START, CLOSED_AT_START = 200, 300  # the phones follow these 500 tickets
TARGET = 2.0

# Run in `manage shell` on the fresh database: kiosks, counters, agents with sessions, the
# morning's tickets. Prints one JSON line.
SETUP = r"""
import datetime as dt, json, random
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from kiosk.domain.tickets import TicketStatus
from kiosk.server.accounts.models import Role, SiteMembership
from kiosk.server.content.models import Service, Site
from kiosk.server.devices.models import Kiosk
from kiosk.server.queueing.models import Counter, Ticket, TicketSequence

N_KIOSKS, N_COUNTERS, WAITING, CLOSED = %(kiosks)d, %(counters)d, %(waiting)d, %(closed)d
rng = random.Random(19)
site = Site.objects.get(slug="paris-19")
tokens = [Kiosk.objects.register(site, f"Borne charge {i:03d}")[1] for i in range(N_KIOSKS)]
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
    from locust import FastHttpUser, between, constant_pacing, events, task
    from locust.env import Environment

    cfg = json.loads(Path(config_path).read_text())
    started = time.time()
    samples: dict[str, list] = {}

    def on_request(request_type, name, response_time, response_length, response=None,
                   exception=None, start_time=None, **_):
        if start_time is not None and start_time < started + WARMUP:
            return
        code = getattr(response, "status_code", 0) or 0
        samples.setdefault(name, []).append((response_time, code, bool(exception)))

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
            r = self.client.get(f"/guichet/{self.counter}/etat.json", headers=headers,
                                name="counter state")
            if r.status_code == 200:
                self.etag = r.headers.get("ETag")
            if random.random() < 1 / 30:  # about one visitor every 30 s per counter
                self.client.post(f"/guichet/{self.counter}/next/", name="counter next",
                                 headers={**self.headers, "X-CSRFToken": csrf})

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

    for cls in (KioskUser, AgentUser, PhoneUser, ProbeUser):
        cls.host = cfg["url"]
        cls.connection_timeout = cls.network_timeout = 60.0
    events.request.add_listener(on_request)
    env = Environment(user_classes=[KioskUser, AgentUser, PhoneUser, ProbeUser], events=events)
    runner = env.create_local_runner()
    users = KIOSKS + COUNTERS + PHONES + PROBES
    runner.start(users, spawn_rate=users / (WARMUP - 1))
    gevent.spawn_later(DURATION, runner.quit)
    runner.greenlet.join()
    Path(out_path).write_text(json.dumps({"samples": samples,
                                          "measured_s": DURATION - WARMUP,
                                          "phone_rate": statistics.fmean(
                                              1 / d for d in phone_delays or [PHONE_POLL_S])}))


# -- the bench (parent process) -------------------------------------------------------------


def _pg(tmp: Path, call: str, port: int = 0) -> str:
    env = {**os.environ, "PG_DIR": str(tmp / "pg"), "PG_PORT": str(port or 55432)}
    result = subprocess.run(
        ["bash", "-c", f'source "{PG_SCRIPT}" && {call} && echo "URL=${{DATABASE_URL_PG:-}}"'],
        env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{call} failed:\n{result.stdout}\n{result.stderr}")
    return next((line[4:] for line in result.stdout.splitlines() if line.startswith("URL=")), "")


def _start_gunicorn(server: LocalServer) -> None:
    """gunicorn as carrefour-server.service starts it (ExecStartPre, then ExecStart)."""
    server.manage("migrate", "--check")
    server.port = free_port()
    log = open(server.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the process
    server.process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kiosk.server.wsgi:application",
         "--bind", f"127.0.0.1:{server.port}", "--workers", str(WORKERS),
         "--threads", str(THREADS), "--timeout", "60", "--graceful-timeout", "20",
         "--max-requests", "5000", "--max-requests-jitter", "500",
         "--access-logfile", "-", "--forwarded-allow-ips", "127.0.0.1"],
        env=server.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    server.wait_ready(60)


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
        server = LocalServer(data_dir=tmp / "server", database_url=url, workers=WORKERS,
                             threads=THREADS, extra_env={
                                 "CACHE_URL": "db://carrefour_cache",
                                 "TRUSTED_PROXIES": "127.0.0.1,::1",
                                 "PYTHONDONTWRITEBYTECODE": "1", "LOG_LEVEL": "WARNING"})
        server.manage("migrate", "--noinput")
        server.manage("createcachetable")
        server.manage("load_demo")
        print("  registering kiosks, counters, agents, tickets…", file=sys.stderr, flush=True)
        out = server.manage("shell", "-c", SETUP % {
            "kiosks": KIOSKS, "counters": COUNTERS, "waiting": WAITING_AT_START,
            "closed": CLOSED_AT_START})
        cfg = json.loads(out.strip().splitlines()[-1])
        _start_gunicorn(server)
        cfg["url"] = server.url
        (tmp / "config.json").write_text(json.dumps(cfg))
        print(f"  load for {DURATION:.0f} s on {server.url} "
              f"(gunicorn {WORKERS} workers x {THREADS} threads)…", file=sys.stderr, flush=True)
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


def run() -> list[Row]:
    data, server_errors = _measure()
    samples, seconds = data["samples"], data["measured_s"]
    offered = OFFERED_BUT_PHONES + PHONES * data["phone_rate"]
    stats = {}
    for name, rows in samples.items():
        lat = [r[0] for r in rows]
        stats[name] = {
            "n": len(rows), "rps": len(rows) / seconds, "p50": _pct(lat, 50), "p99": _pct(lat, 99),
            "5xx": sum(1 for r in rows if r[1] >= 500 or (r[1] == 0 and r[2])),
            "4xx": sum(1 for r in rows if 400 <= r[1] < 500),
            "codes": sorted({r[1] for r in rows if r[1] >= 400 or r[1] == 0}),
            "304": sum(1 for r in rows if r[1] == 304),
        }
    summary = ", ".join(f"{k} {v['rps']:.1f}/s {v['5xx']}x5xx {v['4xx']}x4xx {v['codes'] or ''}"
                        for k, v in sorted(stats.items()))
    served = sum(s["n"] for s in stats.values()) / seconds
    print(f"  load: {summary}", file=sys.stderr)
    print("  conditional polls answered 304 (unchanged queue): " + ", ".join(
        f"{k} {100 * v['304'] / v['n']:.0f}%" for k, v in sorted(stats.items())
        if k in ("counter state", "ticket status") and v["n"]), file=sys.stderr)
    print(f"  phone pages: a poll every {1 / data['phone_rate']:.1f} s on average (5 s near "
          "the turn, 10-15 s far from it)", file=sys.stderr)
    print(f"  served {served:.0f} req/s of ~{offered:.0f} offered; {os.cpu_count()} CPUs, load "
          f"average {os.getloadavg()[0]:.1f} (other processes share the machine)", file=sys.stderr)
    if served < 0.9 * offered:
        print("  the server did not keep up: latencies are mostly queueing for a gunicorn thread, "
              "the bare endpoint's too (the ratios then say little)", file=sys.stderr)
    if server_errors:
        print(f"  server log errors:\n{server_errors}", file=sys.stderr)
    bare = stats.get("bare health")
    tag = f"PG, gunicorn {WORKERS}x{THREADS}, {KIOSKS}k+{COUNTERS}c+{PHONES}p"
    rows = []
    for name, label in (("ticket create", "ticket creation"), ("ticket status", "ticket status"),
                        ("counter state", "counter state"), ("bare health", "bare /health")):
        s = stats.get(name)
        if s is None:
            rows.append(Row(f"load: {label} (no sample)", 0, "req", ok=False))
            continue
        clean = s["5xx"] == 0
        rows.append(Row(f"load: {label} throughput ({tag})", s["rps"], "req/s",
                        ok=None if clean else False))
        rows.append(Row(f"load: {label} p50", s["p50"], "ms", "bare /health",
                        bare["p50"] if bare else None, ok=None if clean else False))
        targeted = name in ("ticket create", "ticket status") and bare is not None
        rows.append(Row(f"load: {label} p99", s["p99"], "ms", "bare /health",
                        bare["p99"] if bare else None,
                        target=f"<= {TARGET:g}x" if targeted else "",
                        ok=(clean and s["p99"] <= TARGET * bare["p99"]) if targeted
                        else (None if clean else False)))
    rows.append(Row("load: requests served (all users)", served, "req/s", "offered", offered,
                    target=">= 0.9x", ok=served >= 0.9 * offered))
    errors = sum(s["5xx"] for s in stats.values())
    rows.append(Row("load: 5xx / failed requests (all users)", errors, "req", target="== 0",
                    ok=errors == 0))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--drive":
        drive(sys.argv[2], sys.argv[3])
    else:
        from tests.bench.table import render

        print(render(run()))
