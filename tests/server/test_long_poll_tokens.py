"""The content long-poll's token check (api/auth.py, LongPollBearer): a token the process
checked less than LONG_POLL_TOKEN_SECONDS ago costs no thread and no query; a bad or revoked
one is refused as by every other call; the back-office's revocation is heard at once."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import RequestFactory

from kiosk.server.api import auth
from kiosk.server.devices.models import Kiosk


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(auth.time, "monotonic", clock)
    return clock


@pytest.fixture
def checks(monkeypatch):
    """Every token check that reached the database."""
    seen: list[str] = []
    real = Kiosk.objects.authenticate

    def counted(token):
        seen.append(token)
        return real(token)

    monkeypatch.setattr(Kiosk.objects, "authenticate", counted)
    return seen


def ask(token: str | None, scheme: str = "Bearer"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"} if token is not None else {}
    request = RequestFactory().get("/api/v1/content/changes", **headers)
    kiosk = async_to_sync(auth.LongPollBearer())(request)
    return kiosk, getattr(request, "kiosk", None)


@pytest.mark.django_db(transaction=True)
def test_a_token_checked_lately_costs_no_query(demo, kiosk_token, clock, checks):
    first, on_request = ask(kiosk_token)
    assert first is not None and on_request is first and checks == [kiosk_token]
    clock.now += auth.LONG_POLL_TOKEN_SECONDS - 1
    again, on_request = ask(kiosk_token)
    assert again.pk == first.pk and on_request is again
    assert checks == [kiosk_token]  # remembered: no second check
    clock.now += 2  # past its memory: checked again, and remembered anew
    assert ask(kiosk_token)[0].pk == first.pk
    assert checks == [kiosk_token, kiosk_token]


@pytest.mark.django_db(transaction=True)
def test_bad_tokens_are_refused_each_time_and_never_remembered(demo, clock, checks):
    assert ask("not-a-token") == (None, None)
    assert ask("not-a-token") == (None, None)
    assert checks == ["not-a-token", "not-a-token"]
    assert ask(None) == (None, None) and ask("x", scheme="Basic") == (None, None)
    assert ask("") == (None, None)
    assert len(checks) == 2  # no header, another scheme, no token: no query either
    assert auth._known == {}


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_refused_once_its_memory_ends(demo, kiosk_token, clock, checks):
    assert ask(kiosk_token)[0] is not None
    Kiosk.objects.filter(active=True).update(active=False)  # another process revoked it
    clock.now += auth.LONG_POLL_TOKEN_SECONDS + 0.1
    assert ask(kiosk_token) == (None, None)
    assert auth._known == {}  # forgotten: refused at each try from now on
    assert len(checks) == 2


@pytest.mark.django_db
def test_revoking_in_the_back_office_is_heard_at_once(demo, kiosk_token, client, clock):
    from django.contrib.auth import get_user_model

    assert ask(kiosk_token)[0] is not None
    kiosk = Kiosk.objects.get(token_hash=auth.hash_token(kiosk_token))
    admin = get_user_model().objects.create_superuser("chef", "chef@example.org", "S3cure-pass-19")
    client.force_login(admin)
    form = {"site": kiosk.site_id, "name": kiosk.name, "target_release": ""}  # active unticked
    response = client.post(f"/admin/devices/kiosk/{kiosk.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    assert not Kiosk.objects.get(pk=kiosk.pk).active
    assert ask(kiosk_token) == (None, None)  # at once, not LONG_POLL_TOKEN_SECONDS later


@pytest.mark.django_db
def test_the_long_poll_uses_it_and_the_other_calls_do_not(api, demo, kiosk_token, clock):
    assert api.get("/content/changes?wait=0").status_code == 200
    assert auth.hash_token(kiosk_token) in auth._known
    Kiosk.objects.update(active=False)
    # Within its memory the long-poll still answers (public content, as the screens show);
    # every other call checks the token each time.
    assert api.get("/content/changes?wait=0").status_code == 200
    assert api.get("/content").status_code == 401
    assert api.get("/queues").status_code == 401
