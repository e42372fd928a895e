"""Two app servers (as two machines would run them), one PostgreSQL, the shipped nginx in front.

Each server is started as deploy/server/carrefour-server.service starts it (its ExecStart and
gunicorn.conf.py: ASGI, uvicorn workers; tests/support/unit.py) with its own data directory
and the same database, cache table and secret key (what server.env and the credentials of
two machines share). nginx runs the shipped site (tests/support/nginx.py) with both in its
upstream. PostgreSQL: the run's (DATABASE_URL) or a throw-away cluster (deploy/dev/postgres.sh).
"""

from __future__ import annotations

import concurrent.futures
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from kiosk.server.launcher import LocalServer, free_port
from tests.conftest import demo_data
from tests.support.nginx import Nginx, nginx_binary
from tests.support.patience import GUARD
from tests.support.servers import fresh_database_url
from tests.support.unit import ROOT, start_as_unit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(900)]

KIOSKS = """
import json
from kiosk.server.content.models import Site
from kiosk.server.devices.models import Kiosk
site = Site.objects.get(slug="paris-19")
print(json.dumps([Kiosk.objects.register(site, f"Borne e2e {i}")[1] for i in range(%d)]))
"""

NUMBERS = """
import json
from kiosk.server.queueing.models import Ticket
rows = Ticket.objects.filter(public_token__in=%r).values_list("service__slug", "number")
print(json.dumps(sorted(rows)))
"""

EDIT = """
from kiosk.server.content.models import Service
s = Service.objects.get(slug=%r)
s.hours = [dict(h, close=%r) if i == 0 else h for i, h in enumerate(s.hours)]
s.save()
"""


@pytest.fixture(scope="module")
def pg_base_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        yield url
        return
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        pytest.skip("PostgreSQL binaries are not installed (apt install postgresql)")
    pg_env = {**os.environ, "PG_DIR": f"/tmp/carrefour-pg-two-{uuid.uuid4().hex[:8]}",
              "PG_PORT": str(free_port())}
    source = f"source {ROOT / 'deploy/dev/postgres.sh'}"
    started = subprocess.run(["bash", "-c", f'{source} && pg_start >&2 && echo "$DATABASE_URL_PG"'],
                             env=pg_env, capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stderr
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", "-c", f"{source} && pg_stop"], env=pg_env, timeout=60)


@pytest.fixture(scope="module")
def site(pg_base_url, tmp_path_factory, monkeypatch_module):
    """Server A and server B on one database, nginx in front of both."""
    if not nginx_binary():
        pytest.skip("nginx is not installed (deploy/dev/bootstrap.sh installs nginx-core)")
    tmp = tmp_path_factory.mktemp("two")
    monkeypatch_module.setenv("DATABASE_URL", pg_base_url)
    url, drop = fresh_database_url(tmp)
    env = {"CACHE_URL": "db://carrefour_cache", "TRUSTED_PROXIES": "127.0.0.1,::1",
           # One window for the whole run (fixed windows start on the clock: a minute
           # window split the eleven taps of a slow run in two): the tests count in it.
           "RATELIMIT_TICKETS": "60/d", "RATELIMIT_PHONE": "10/d",
           "GUNICORN_WORKERS": "2",  # per machine, as its server.env would say
           # The phone vault's day keys: one directory every machine sees (README).
           "PHONE_KEYS_DIR": str(tmp / "shared-phone-keys")}
    a = LocalServer(data_dir=tmp / "a", database_url=url, extra_env=env)
    b = LocalServer(data_dir=tmp / "b", database_url=url, extra_env=env)
    nginx = None
    try:
        a.prepare(demo=True)
        a.manage("createcachetable")
        (tmp / "b").mkdir()
        shutil.copy(a.data_dir / "secret_key", b.data_dir / "secret_key")  # one credential
        start_as_unit(a, env)
        start_as_unit(b, env)
        nginx = Nginx(tmp / "nginx", [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"]).start()
        tokens = json.loads(a.manage("shell", "-c", KIOSKS % 5).strip().splitlines()[-1])
        yield {"a": a, "b": b, "nginx": nginx, "tokens": tokens}
    finally:
        if nginx:
            nginx.stop()
        a.stop()
        b.stop()
        drop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def issue(base: str, token: str, service: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/tickets", timeout=60,
                         json={"service": service, "language": "fr", "priority": ""},
                         headers={"Authorization": f"Bearer {token}",
                                  "Idempotency-Key": str(uuid.uuid4())})


def shell(srv: LocalServer, code: str):
    return json.loads(srv.manage("shell", "-c", code).strip().splitlines()[-1])


def test_tickets_issued_on_both_servers_are_numbered_uniquely_without_gaps(site):
    services = [s["id"] for s in demo_data()["services"]][:2]
    targets = [site["a"].url, site["b"].url, site["nginx"].url]
    jobs = [(targets[i % 3], services[i % 2]) for i in range(42)]
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda job: issue(job[0], site["tokens"][0], job[1]), jobs))
    assert [r.status_code for r in answers] == [201] * len(jobs)
    rows = shell(site["a"], NUMBERS % [r.json()["id"] for r in answers])
    for service in services:
        numbers = sorted(n for s, n in rows if s == service)
        assert numbers == list(range(numbers[0], numbers[0] + 21)), (service, numbers)
    # Each service's numbers continue the day's sequence: the morning's demo tickets first.
    assert len(rows) == 42


def test_an_edit_reaches_kiosks_long_polling_the_other_server(site):
    a, b, token = site["a"], site["b"], demo_data()["kiosks"][0]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    cursor = int(requests.get(f"{b.url}/api/v1/content", headers=auth, timeout=30).json()["cursor"])
    answers, started = [], threading.Event()

    def long_poll(base: str):
        started.set()
        r = requests.get(f"{base}/api/v1/content/changes", params={"since": cursor, "wait": 25},
                         headers=auth, timeout=60)
        answers.append((base, r.status_code, r.json(), time.monotonic()))

    pollers = [threading.Thread(target=long_poll, args=(base,))
               for base in [b.url] * 10 + [site["nginx"].url] * 10]
    for t in pollers:
        t.start()
    assert started.wait(60)
    slug = demo_data()["services"][0]["id"]
    a.manage("shell", "-c", EDIT % (slug, "17:47"))  # a process of machine A saves
    saved = time.monotonic()
    for t in pollers:
        t.join(timeout=60)
    assert len(answers) == 20
    assert {(code, body["changed"]) for _, code, body, _ in answers} == {(200, True)}
    # The long-poll's own lean handler (kiosk/server/asgi.py) keeps the API's manners.
    bad = requests.get(f"{b.url}/api/v1/content/changes", params={"wait": 0}, timeout=30,
                       headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    quick = requests.get(f"{b.url}/api/v1/content/changes", params={"wait": 0}, timeout=30,
                         headers=auth)
    assert quick.json()["changed"] is True
    assert quick.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in quick.headers
    assert requests.get(f"{b.url}/api/v1/content/changes", params={"since": "x"}, timeout=30,
                        headers=auth).status_code == 422
    assert all(int(body["cursor"]) > cursor for _, _, body, _ in answers)
    # Woken by the save, not by the 25 s timeout (a generous bound: slow machines).
    assert max(at for *_, at in answers) - saved < 20
    delta = requests.get(f"{b.url}/api/v1/content", params={"since": cursor}, headers=auth,
                         timeout=30).json()
    assert any(i["kind"] == "service" and "17:47" in json.dumps(i["data"]) for i in delta["items"])


def worker_threads(server: LocalServer) -> int:
    """Threads of the server's worker processes (its process group, the arbiter excepted)."""
    group = os.getpgid(server.process.pid)
    total = 0
    for status in glob.glob("/proc/[0-9]*/status"):
        try:
            pid = int(status.split("/")[2])
            if pid == server.process.pid or os.getpgid(pid) != group:
                continue
            text = open(status).read()
        except (OSError, ValueError):
            continue
        total += int(re.search(r"^Threads:\s+(\d+)", text, re.M).group(1))
    return total


def open_connections(port: int) -> int:
    """Established TCP connections to a local port (/proc/net/tcp, IPv4 loopback)."""
    count = 0
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, _, state = line.split()[1:4]
        count += int(local.split(":")[1], 16) == port and state == "01"
    return count


def test_waiting_kiosks_hold_no_thread(site):
    """150 kiosks long-polling server A: its workers' threads stay few, /health answers."""
    a, token = site["a"], demo_data()["kiosks"][0]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    cursor = requests.get(f"{a.url}/api/v1/content", headers=auth, timeout=30).json()["cursor"]
    before = worker_threads(a)
    with requests.Session() as probe, concurrent.futures.ThreadPoolExecutor(150) as pool:
        waits = [pool.submit(requests.get, f"{a.url}/api/v1/content/changes",
                             params={"since": cursor, "wait": 25}, headers=auth, timeout=90)
                 for _ in range(150)]
        # While they wait (each is held up to 25 s, the longest a long-poll may ask, so a
        # slow machine still opens them all in time): health answers, threads stay few.
        deadline = time.monotonic() + 60
        while open_connections(a.port) < 120 and time.monotonic() < deadline:
            time.sleep(0.05)  # the kernel's table: no event to wait on
        assert open_connections(a.port) >= 120
        health = probe.get(f"{a.url}/api/v1/health", timeout=30)
        during = worker_threads(a)
        pending = sum(not w.done() for w in waits)
        answers = [w.result() for w in waits]
    assert health.status_code == 200
    assert [r.status_code for r in answers] == [200] * 150
    assert pending > 50  # the probe ran while most were still waiting
    assert during < before + 30, (before, during)


def test_bad_tokens_from_the_lobby_leave_good_kiosks_alone(site):
    """Through nginx, from one address: a flood of requests with bad tokens (one repeated,
    and ever-new ones) while a healthy kiosk issues 13 tickets: every ticket is issued."""
    base, good = site["nginx"].url, site["tokens"][1]
    service = demo_data()["services"][0]["id"]
    stop, flooding = threading.Event(), threading.Event()
    flood_codes: list[int] = []

    def flood(fixed: bool):
        with requests.Session() as s:
            while not stop.is_set():
                bad = "bad-token" if fixed else uuid.uuid4().hex
                r = s.post(f"{base}/api/v1/tickets", json={"service": service},
                           headers={"Authorization": f"Bearer {bad}",
                                    "Idempotency-Key": str(uuid.uuid4())}, timeout=30)
                flood_codes.append(r.status_code)
                if len(flood_codes) >= 100:
                    flooding.set()

    flooders = [threading.Thread(target=flood, args=(i % 2 == 0,)) for i in range(4)]
    for t in flooders:
        t.start()
    try:
        with requests.Session() as s:
            # The flood is on before the kiosk starts (a deadline only if the flood died).
            assert flooding.wait(120), "the flood never reached 100 requests"
            codes = [s.post(f"{base}/api/v1/tickets", timeout=30,
                            json={"service": service, "language": "fr", "priority": ""},
                            headers={"Authorization": f"Bearer {good}",
                                     "Idempotency-Key": str(uuid.uuid4())}).status_code
                     for _ in range(13)]
    finally:
        stop.set()
        for t in flooders:
            t.join(timeout=60)
    assert codes == [201] * 13
    assert set(flood_codes) <= {401, 429}
    assert 429 in flood_codes  # the repeated bad token met its own limit in nginx


def phone_post(s: requests.Session, base: str, token: str, action: str) -> int:
    page = s.get(f"{base}/t/{token}", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return s.post(f"{base}/t/{token}/{action}", data={"csrfmiddlewaretoken": csrf},
                  headers={"Referer": f"{base}/t/{token}"}, allow_redirects=False,
                  timeout=30).status_code


def test_one_visitors_taps_do_not_cost_another_visitor_on_the_same_wifi(site):
    base, token = site["nginx"].url, site["tokens"][2]
    service = demo_data()["services"][0]["id"]
    mine, theirs = (issue(base, token, service).json()["id"] for _ in range(2))
    with requests.Session() as me, requests.Session() as neighbour:
        codes = [phone_post(me, base, mine, "plus-de-temps") for _ in range(11)]
        assert codes[:10] == [302] * 10 and codes[10] == 429
        assert phone_post(neighbour, base, theirs, "partir") == 302


def test_the_limiter_is_exact_across_two_servers(site):
    """90 concurrent tickets of one kiosk, half on each server, against a limit of 60 in the
    window: exactly 60 are issued (the database cache's counter does not leak)."""
    token, service = site["tokens"][3], demo_data()["services"][1]["id"]
    targets = [site["a"].url, site["b"].url] * 45
    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(lambda base: issue(base, token, service).status_code, targets))
    assert codes.count(201) == 60 and codes.count(429) == 30, sorted(set(codes))


PHONES = """
import json
from kiosk.server.notifications.services import enqueue_sms
from kiosk.server.queueing.models import Ticket
n = 0
for t in Ticket.objects.filter(public_token__in=%r):
    t.phone = "+336123456%%02d" %% n
    t.save(update_fields=["phone"])
    n += enqueue_sms(t, "called", counter="Guichet 1") is not None
print(json.dumps(n))
"""

OUTBOX = """
import json
from kiosk.server.notifications.models import SmsMessage
print(json.dumps(sorted(SmsMessage.objects.filter(ticket__public_token__in=%r)
                        .values_list("status", flat=True))))
"""


class FakeKannel(http.server.ThreadingHTTPServer):
    """Kannel's sendsms on loopback: records every message, answers 'Accepted'."""

    def __init__(self):
        self.received: list[tuple[str, str]] = []
        self.changed = threading.Condition()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                q = parse_qs(urlparse(self.path).query)
                with server.changed:
                    server.received.append((q["to"][0], q["dlr-url"][0]))
                    server.changed.notify_all()
                body = b"0: Accepted for delivery"
                self.send_response(202)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_sms_are_sent_once_with_a_worker_on_each_machine(site):
    """Tickets issued on both servers, their "called" SMS in the outbox; an SMS worker runs
    on each machine: every SMS reaches the gateway exactly once."""
    service = demo_data()["services"][0]["id"]
    tickets = [issue(base, site["tokens"][4], service).json()["id"]
               for base in [site["a"].url, site["b"].url] * 10]
    assert shell(site["a"], PHONES % tickets) == 20
    kannel = FakeKannel()
    threading.Thread(target=kannel.serve_forever, daemon=True).start()
    sms_env = {"SMS_BACKEND": "kannel", "KANNEL_PASSWORD": "test",
               "KANNEL_SENDSMS_URL": f"http://127.0.0.1:{kannel.server_address[1]}",
               "SMS_SENDER": "Mairie19"}
    workers = [subprocess.Popen([sys.executable, "-m", "kiosk.server", "sms_worker",
                                 "--interval", "0.2"], env={**srv.env(), **sms_env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
               for srv in (site["a"], site["b"])]
    try:
        with kannel.changed:
            assert kannel.changed.wait_for(lambda: len(kannel.received) >= 20, timeout=120)
        deadline = time.monotonic() + GUARD
        statuses = shell(site["a"], OUTBOX % tickets)
        while any(s in ("pending", "sending") for s in statuses) and time.monotonic() < deadline:
            statuses = shell(site["a"], OUTBOX % tickets)  # each look takes a second or two
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
        kannel.shutdown()
    assert not any(s in ("pending", "sending") for s in statuses), statuses
    refs = [ref for _, ref in kannel.received]
    assert len(refs) == len(set(refs)) == 20
