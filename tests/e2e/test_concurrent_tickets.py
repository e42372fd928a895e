"""Numbering under concurrency, against the real server process on this run's database."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import requests

from kiosk.domain.tickets import parse_ticket_number
from tests.support.patience import LIVE_TIMEOUT

PARALLEL = 40


def _post_ticket(server, service, key, barrier=None):
    if barrier is not None:
        barrier.wait(timeout=30)  # release every request at once
    return requests.post(
        f"{server.url}/api/v1/tickets",
        json={"service": service, "language": "fr"},
        headers={"Authorization": f"Bearer {server.kiosk_token}", "Idempotency-Key": key},
        timeout=60,
    )


def _ticketing_services(server):
    body = requests.get(
        f"{server.url}/api/v1/content",
        headers={"Authorization": f"Bearer {server.kiosk_token}"}, timeout=LIVE_TIMEOUT,
    ).json()
    return [i["data"] for i in body["items"] if i["kind"] == "service" and i["data"]["ticketing"]]


def test_it_gives_distinct_consecutive_numbers_to_parallel_requests(server):
    service = _ticketing_services(server)[0]
    barrier = Barrier(PARALLEL)
    with ThreadPoolExecutor(PARALLEL) as pool:
        responses = list(pool.map(
            lambda _: _post_ticket(server, service["id"], str(uuid.uuid4()), barrier),
            range(PARALLEL),
        ))
    errors = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    assert errors == []
    numbers = sorted(parse_ticket_number(r.json()["number"])[1] for r in responses)
    assert numbers == list(range(numbers[0], numbers[0] + PARALLEL))
    assert {parse_ticket_number(r.json()["number"])[0] for r in responses} == {service["prefix"]}
    assert len({r.json()["id"] for r in responses}) == PARALLEL


def test_it_creates_one_ticket_when_the_same_key_arrives_many_times_at_once(server):
    service = _ticketing_services(server)[1]
    key = str(uuid.uuid4())
    barrier = Barrier(16)
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda _: _post_ticket(server, service["id"], key, barrier),
                                  range(16)))
    assert sorted({r.status_code for r in responses}) in ([200, 201], [201])
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["number"] for r in responses}) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    # The next ticket of that service follows directly: the replays consumed no number.
    follow = _post_ticket(server, service["id"], str(uuid.uuid4()))
    first = parse_ticket_number(responses[0].json()["number"])[1]
    assert parse_ticket_number(follow.json()["number"])[1] == first + 1
