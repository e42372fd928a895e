"""The rate limiter (kiosk/server/ratelimit.py): its arithmetic, the client IP behind a proxy,
and the limits wired on the real endpoints (per kiosk for API writes, per IP for the phone
actions and the login forms), answering 429 with Retry-After."""

from __future__ import annotations

import time
import types
import uuid

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from kiosk.server.ratelimit import Rate, client_ip, hit
from tests.security.conftest import issue, refreshed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limiter_on(settings, monkeypatch):
    """tests/settings.py turns the limiter off for the other suites; here it is on, and
    every test starts with empty counters. Its clock stands still at the start of a window:
    a test's requests never straddle two fixed windows, however slow the machine."""
    from kiosk.server import ratelimit

    still = (int(time.time()) // 3600) * 3600 + 1.0
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: still))
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS}
    cache.clear()
    yield settings.RATELIMITS
    cache.clear()


# -- arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize("text, rate", [
    ("60/m", Rate(60, 60)), ("10/min", Rate(10, 60)), ("6/60s", Rate(6, 60)),
    ("1000/h", Rate(1000, 3600)), ("5/10m", Rate(5, 600)), ("100/d", Rate(100, 86400)),
    ("3/s", Rate(3, 1)),
])
def test_rates_parse(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "60", "sixty/m", "60/fortnight", "0/m", "-1/m", "5/0s"])
def test_bad_rates_are_refused(text):
    with pytest.raises(ValueError, match="rate"):
        Rate.parse(text)


def test_a_window_allows_the_limit_then_says_when_to_come_back():
    rate = Rate(3, 60)
    start = 6000.0  # the start of a window (6000 = 100 × 60)
    assert [hit("t", "who", rate, now=start + i) for i in range(3)] == [None, None, None]
    assert hit("t", "who", rate, now=start + 20.2) == 40  # ceil(60 - 20.2)
    assert hit("t", "who", rate, now=start + 59.9) == 1  # never 0
    assert hit("t", "someone-else", rate, now=start + 30) is None
    assert hit("other-scope", "who", rate, now=start + 30) is None
    assert hit("t", "who", rate, now=start + 60) is None  # the next window starts afresh


def test_a_broken_cache_lets_requests_through(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)
    assert all(hit("t", "who", Rate(1, 60)) is None for _ in range(5))
    assert "cache unavailable" in caplog.text


# -- who is the client -------------------------------------------------------------------


def meta(remote: str, forwarded: str | None = None):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(meta("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_a_header_from_an_untrusted_address_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(meta("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(meta("127.0.0.1", "198.51.100.1")) == "198.51.100.1"


def test_forged_left_entries_do_not_count(settings):
    """nginx appends the real peer on the right; whatever the client sent stays on the left."""
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_ip(meta("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.1.2.3")) == "198.51.100.1"


def test_junk_in_the_header_counts_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(meta("127.0.0.1", "not-an-ip")) == "127.0.0.1"
    assert client_ip(meta("127.0.0.1", "")) == "127.0.0.1"
    assert client_ip(meta("127.0.0.1")) == "127.0.0.1"


def test_ipv6_and_networks(settings):
    settings.TRUSTED_PROXIES = ["::1", "192.168.0.0/16"]
    assert client_ip(meta("::1", "2001:db8::5")) == "2001:db8::5"
    assert client_ip(meta("192.168.4.4", "203.0.113.9")) == "203.0.113.9"


# -- the API: per kiosk -------------------------------------------------------------------


def ticketing_slug(demo) -> str:
    return demo.services.filter(ticketing=True).order_by("slug").first().slug


def assert_429(response):
    assert response.status_code == 429, response.content
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


def test_tickets_are_limited_per_kiosk(api, client, demo, limiter_on):
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.models import Ticket

    limiter_on["tickets"] = "3/m"
    slug = ticketing_slug(demo)
    codes = [api.post("/tickets", {"service": slug}, key=uuid.uuid4()).status_code
             for _ in range(3)]
    assert codes == [201, 201, 201]
    refused = api.post("/tickets", {"service": slug}, key=uuid.uuid4())
    assert_429(refused)
    assert refused.json()["detail"]
    assert Ticket.objects.count() == 3  # the refused request issued no number

    _, other_token = Kiosk.objects.register(demo, "Autre borne")
    other = client.post("/api/v1/tickets", {"service": slug}, content_type="application/json",
                        headers={"Authorization": f"Bearer {other_token}",
                                 "Idempotency-Key": str(uuid.uuid4())})
    assert other.status_code == 201  # another kiosk has its own budget


def test_reads_are_not_limited(api, demo, limiter_on):
    limiter_on["tickets"] = "1/m"
    assert all(api.get("/content").status_code == 200 for _ in range(5))
    assert all(api.get("/queues").status_code == 200 for _ in range(5))


def test_assistance_calls_are_limited_per_kiosk(api, demo, limiter_on):
    limiter_on["assistance"] = "2/m"
    codes = [api.post("/assistance", {"language": "fr"}, key=uuid.uuid4()).status_code
             for _ in range(2)]
    assert codes == [201, 200]  # the second call answers the open request
    assert_429(api.post("/assistance", {"language": "fr"}, key=uuid.uuid4()))


def test_the_default_limits():
    from django.conf import settings

    assert Rate.parse(settings.RATELIMITS["tickets"]) == Rate(60, 60)
    assert Rate.parse(settings.RATELIMITS["assistance"]) == Rate(6, 60)
    assert Rate.parse(settings.RATELIMITS["phone"]) == Rate(10, 60)
    assert Rate.parse(settings.RATELIMITS["login"]) == Rate(10, 60)


# -- the phone actions: per ticket (visitors share the lobby's Wi-Fi address) ---------------


def test_phone_actions_are_limited_per_ticket(counter, limiter_on):
    limiter_on["phone"] = "2/m"
    tickets = issue(counter.service, 3)
    visitor = Client(REMOTE_ADDR="198.51.100.20")
    mine = tickets[0].public_token
    assert visitor.post(f"/t/{mine}/plus-de-temps").status_code == 302
    assert visitor.post(f"/t/{mine}/plus-de-temps").status_code == 302
    refused = visitor.post(f"/t/{mine}/partir", headers={"Accept": "application/json"})
    assert_429(refused)
    assert refused.json()["detail"]
    assert refreshed(tickets[0]).status == "waiting"  # nothing changed
    # GET of the page is never limited.
    assert visitor.get(f"/t/{mine}").status_code == 200
    # Another visitor on the same address (the lobby's Wi-Fi) keeps their whole budget.
    neighbour = Client(REMOTE_ADDR="198.51.100.20")
    assert neighbour.post(f"/t/{tickets[1].public_token}/partir").status_code == 302
    assert refreshed(tickets[1]).status != "waiting"


def test_behind_nginx_ten_taps_of_one_visitor_leave_the_others_alone(counter, settings,
                                                                        limiter_on):
    """The issue's case: ten 'plus de temps' from one phone, then another visitor's 'Je pars'
    through the same proxy and the same forwarded address."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    limiter_on["phone"] = "10/m"
    a, b = issue(counter.service, 2)
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    lobby = {"X-Forwarded-For": "198.51.100.30"}
    codes = [proxy.post(f"/t/{a.public_token}/plus-de-temps", headers=lobby).status_code
             for _ in range(11)]
    assert codes[:10] == [302] * 10 and codes[10] == 429
    assert proxy.post(f"/t/{b.public_token}/partir", headers=lobby).status_code == 302


# -- the login forms: per client IP ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/connexion/", "/admin/login/"])
def test_login_attempts_are_limited_per_ip(demo, limiter_on, path):
    from django.contrib.auth.models import User

    limiter_on["login"] = "3/m"
    User.objects.create_user("chef-test", password="a-long-test-password", is_staff=True)
    good = {"username": "chef-test", "password": "a-long-test-password"}
    bad = {"username": "chef-test", "password": "wrong"}
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(3):
        assert guesser.post(path, bad).status_code == 200  # the form again, with its error
    assert_429(guesser.post(path, bad))
    # Even the right password waits for the window: no oracle for the guesser.
    assert_429(guesser.post(path, good))
    assert guesser.get(path).status_code == 200  # showing the form is free
    assert Client(REMOTE_ADDR="203.0.113.51").post(path, good).status_code == 302


def test_the_limiter_can_be_turned_off(counter, settings, limiter_on):
    settings.RATELIMIT_ENABLED = False
    limiter_on["phone"] = "1/m"
    tickets = issue(counter.service, 3)
    visitor = Client(REMOTE_ADDR="198.51.100.40")
    assert all(visitor.post(f"/t/{t.public_token}/partir").status_code == 302 for t in tickets)


# -- the database cache: counters shared by every worker ---------------------------------------


def test_the_database_cache_shares_counters(settings, limiter_on):
    """Two cache handles on the same table (two workers) see one counter."""
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache
    from django.core.management import call_command

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "carrefour_cache_test"}}
    call_command("createcachetable", verbosity=0)
    rate = Rate(2, 60)
    assert hit("shared", "kiosk:1", rate, now=1200.0) is None
    worker_b = DatabaseCache("carrefour_cache_test", {})
    assert worker_b.get("rl:shared:kiosk:1:20") == 1
    worker_b.incr("rl:shared:kiosk:1:20")
    assert hit("shared", "kiosk:1", rate, now=1210.0) == 50
    assert isinstance(caches["default"], DatabaseCache)
