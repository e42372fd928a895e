"""The process's shared estimates (kiosk/server/queueing/estimates.py, queue_estimates): within
ESTIMATES_TTL_SECONDS a result is read as it is; past it, one thread computes the next while
the others read the previous one (never a convoy of pages behind the computation), unless
no result is valid: none yet, dropped by a queue change, older than ESTIMATES_STALE_SECONDS,
or the caller wants the queue as it is (`fresh`). Past its TTL, a result the site's queue has
not changed since (its version) is kept, not computed again, up to ESTIMATES_SAME_QUEUE_SECONDS
from its computation."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk.server.queueing import estimates

SITE = SimpleNamespace(pk=4242)  # the shared results are per site pk; nothing else is read
NOW = 5000.0
QUEUE = {"version": 7}  # the site's queue version, as queue_version reads it


class ComputingElsewhere:
    """The site's lock while another thread computes its estimates: taking it without
    waiting fails; a caller that would wait for it is told so (instead of hanging)."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if blocking:
            raise AssertionError("waited for another thread's computation")
        return False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        return False

    def release(self) -> None:
        raise AssertionError("released a lock it never held")


@pytest.fixture
def shared(monkeypatch):
    """The module's shared state, empty; its clock held at NOW; computations counted (each
    returns a new result)."""
    monkeypatch.setattr(estimates, "_estimates_cache", {})
    monkeypatch.setattr(estimates, "_estimates_dropped", {})
    monkeypatch.setattr(estimates, "_estimates_locks", {})
    monkeypatch.setattr(estimates, "time", SimpleNamespace(monotonic=lambda: NOW))
    monkeypatch.setattr(estimates, "queue_version", lambda site_id: QUEUE["version"])
    QUEUE["version"] = 7
    computed: list[estimates.Estimates] = []

    def compute(site, now):
        assert site is SITE and now is None
        computed.append(estimates.Estimates(max_pk=len(computed) + 1))
        return computed[-1]

    monkeypatch.setattr(estimates, "_compute_estimates", compute)
    return computed


def held_elsewhere(monkeypatch):
    monkeypatch.setitem(estimates._estimates_locks, SITE.pk, ComputingElsewhere())


def result_aged(seconds: float, version: int = 6) -> estimates.Estimates:
    """A shared result computed `seconds` ago, at queue version `version` (by default not
    the queue's now: it changed since)."""
    result = estimates.Estimates(max_pk=99)
    estimates._estimates_cache[SITE.pk] = estimates.Shared(NOW - seconds, result, version,
                                                         NOW - seconds)
    return result


def test_a_result_within_its_ttl_is_read_as_it_is(shared, monkeypatch):
    previous = result_aged(estimates.ESTIMATES_TTL_SECONDS / 2)
    held_elsewhere(monkeypatch)
    assert estimates.queue_estimates(SITE) is previous
    assert shared == []


def test_past_its_ttl_the_previous_result_is_read_while_another_thread_computes(
        shared, monkeypatch):
    previous = result_aged(estimates.ESTIMATES_TTL_SECONDS + 0.5)
    held_elsewhere(monkeypatch)
    assert estimates.queue_estimates(SITE) is previous
    assert shared == []


def test_past_its_ttl_with_nobody_computing_the_reader_computes_and_shares(shared):
    result_aged(estimates.ESTIMATES_TTL_SECONDS + 0.5)
    first = estimates.queue_estimates(SITE)
    assert shared == [first] and first.max_pk == 1
    assert estimates.queue_estimates(SITE) is first and len(shared) == 1
    assert not estimates._estimates_locks[SITE.pk].locked()


@pytest.mark.parametrize("why", ["none yet", "a queue change dropped it", "too old", "fresh"])
def test_without_a_valid_result_the_reader_waits_for_the_computation(shared, monkeypatch, why):
    if why != "none yet":
        result_aged({"too old": estimates.ESTIMATES_STALE_SECONDS + 1}.get(
            why, estimates.ESTIMATES_TTL_SECONDS + 0.5))
    if why == "a queue change dropped it":
        estimates.invalidate_estimates(SITE.pk)
    held_elsewhere(monkeypatch)
    with pytest.raises(AssertionError, match="waited for another thread's computation"):
        estimates.queue_estimates(SITE, fresh=why == "fresh")
    assert shared == []


def test_past_its_ttl_a_result_of_an_unchanged_queue_is_kept_not_computed(shared, monkeypatch):
    reads = []
    monkeypatch.setattr(estimates, "queue_version", lambda site_id: reads.append(site_id) or 7)
    previous = result_aged(estimates.ESTIMATES_TTL_SECONDS + 0.5, version=7)
    assert estimates.queue_estimates(SITE) is previous
    assert shared == [] and reads == [SITE.pk]  # one query, no computation
    # Found current now: read as it is for another TTL, without asking again.
    assert estimates.queue_estimates(SITE) is previous and reads == [SITE.pk]
    assert estimates._estimates_cache[SITE.pk].stamp == NOW
    assert estimates._estimates_cache[SITE.pk].computed == NOW - estimates.ESTIMATES_TTL_SECONDS - 0.5


@pytest.mark.parametrize("why", ["the queue changed", "computed too long ago", "fresh"])
def test_a_result_is_computed_again_when_the_queue_changed_or_it_is_old(shared, why):
    age = estimates.ESTIMATES_SAME_QUEUE_SECONDS + 0.1 if why == "computed too long ago" else 2.0
    previous = result_aged(age, version=6 if why == "the queue changed" else 7)
    result = estimates.queue_estimates(SITE, fresh=why == "fresh")
    assert result is not previous and shared == [result]
    assert estimates._estimates_cache[SITE.pk] == estimates.Shared(NOW, result, 7, NOW)
