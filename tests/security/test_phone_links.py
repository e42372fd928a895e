"""Phone links (/t/<token>): 128 random bits, URL-safe; junk is a 404 before any query."""

from __future__ import annotations

import collections
import math
import re

import pytest

from tests.security.conftest import issue

pytestmark = pytest.mark.django_db


def test_tokens_come_from_the_os_csprng_with_128_bits(monkeypatch):
    import secrets

    from kiosk.server.queueing import models

    asked = []
    real = secrets.token_urlsafe
    monkeypatch.setattr(models.secrets, "token_urlsafe",
                        lambda n=None: asked.append(n) or real(n))
    token = models.new_public_token()
    assert asked == [16]  # 16 bytes = 128 bits from secrets (os.urandom)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    assert models.Ticket._meta.get_field("public_token").default is models.new_public_token


def test_tokens_look_random():
    """A coarse check that nothing sequential or time-based slipped in: 2000 tokens, all
    distinct, the 64 base64url symbols evenly used (chi-square far below its 0.1 % bound)."""
    from kiosk.server.queueing.models import new_public_token

    tokens = [new_public_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    # The 22nd character carries only 2 bits: count the first 21.
    counts = collections.Counter(ch for t in tokens for ch in t[:21])
    assert len(counts) == 64
    expected = 2000 * 21 / 64
    chi2 = sum((counts[c] - expected) ** 2 / expected for c in counts)
    assert chi2 < 120  # 63 degrees of freedom: p = 0.001 at about 103.4; mean 63
    prefixes = collections.Counter(t[:2] for t in tokens)
    assert max(prefixes.values()) < 10  # no shared prefix (a clock or a counter would show)
    assert math.log2(64) * 21 + 2 >= 128


def test_issued_tickets_carry_such_tokens(counter):
    tickets = issue(counter.service, 5)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", t.public_token) for t in tickets)
    assert len({t.public_token for t in tickets}) == 5


JUNK = [
    "A" * 22,  # well formed, unknown
    "a" * 15,  # too short
    "a" * 44,  # too long for the column
    "a" * 5000,
    "%00" * 10,
    "abc%00defghijklmnopqrs",
    "%27%20OR%201%3D1--%20abcdefgh",
    "..%2F..%2Fetc%2Fpasswd",
    "%E2%80%AEabcdefghijklmnopqrstuvw",
    "%F0%9F%98%80" * 8,
    "%ff%fe" * 8,
]


@pytest.mark.parametrize("token", JUNK)
@pytest.mark.parametrize("suffix", ["", "/etat.json"])
def test_unknown_and_malformed_links_are_404(client, demo, token, suffix):
    if token == "A" * 22 and suffix == "":
        # Well formed, unknown: maybe a ticket a kiosk issued offline, not uploaded yet.
        page = client.get(f"/t/{token}")
        assert page.status_code == 200 and "Votre ticket est en route" in page.content.decode()
        return
    assert client.get(f"/t/{token}{suffix}").status_code == 404


@pytest.mark.parametrize("token", JUNK)
@pytest.mark.parametrize("action", ["partir", "plus-de-temps"])
def test_actions_on_unknown_links_are_404(client, demo, token, action):
    assert client.post(f"/t/{token}/{action}").status_code == 404


@pytest.mark.parametrize("token", [t for t in JUNK if t != "A" * 22])
def test_malformed_links_never_reach_the_database(client, demo, token,
                                                  django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(f"/t/{token}").status_code == 404


@pytest.mark.parametrize("token", JUNK)
def test_the_api_answers_404_to_junk_ticket_ids(api, token):
    assert api.get(f"/tickets/{token}").status_code == 404


def test_a_link_opens_only_its_own_ticket(client, counter):
    a, b = issue(counter.service, 2)
    page = client.get(f"/t/{a.public_token}").content.decode()
    assert a.display in page and b.public_token not in page
    other = client.get(f"/t/{a.public_token.swapcase()}")  # well formed: "on its way"
    assert a.display not in other.content.decode() and "en route" in other.content.decode()
