"""Wait estimation: a learned service-time model and a forward simulation of the queue.

Pure and deterministic: the same snapshot and model always give the same estimates.

Service-time model (``ServiceTimeModel``)
    Durations are modelled as lognormal. For each service the model keeps an exponentially
    weighted (EW) mean and variance of ``log(duration)``, and EW mean residuals for each
    counter, each (service, counter) pair and each hour of the day. Every learned quantity
    is shrunk toward its prior with weight ``n / (n + n0)``, ``n`` being the EW number of
    observations: the service's configured ``mean_service_minutes`` dominates until about
    ``prior_weight`` observations, the counter, pair and hour multipliers start at 1.
    Working in logs makes the mean robust: one 90-minute file moves it by a bounded step.

Forward simulation (``estimate_waits``)
    Each counter session (a counter open now, or scheduled to open later today) becomes a
    server that is free at ``now`` (idle), at ``now + remaining`` (busy: the conditional
    expectation of the remaining duration given the minutes already spent, never below
    ``MIN_REMAINING_MINUTES``) or at its opening time. Repeatedly the earliest free server
    calls the next ticket among the services it serves, using the fair priority rule of
    ``kiosk.domain.priority``; that ticket's estimate is the call time minus ``now``, and the
    server is busy for the ticket's expected occupancy: ``(1 - p) × E[duration] + p × grace``
    with ``p`` the recent no-show rate. A server does not start a ticket at or after its
    ``closes_at``. Tickets that no server can reach get None.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import NormalDist

from kiosk.domain.priority import MAX_PRIORITY_STREAK, WaitingTicket, choose_next

MIN_REMAINING_MINUTES = 0.5
DEFAULT_DRAWS = 16
_NORMAL = NormalDist()
DEFAULT_SIGMA = 0.5  # prior spread of log(duration): a coefficient of variation near 0.53


def minutes_since_midnight(moment: datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60 + moment.microsecond / 6e7


class _EW:
    """Exponentially weighted mean and variance, with the weight of evidence ``n``."""

    __slots__ = ("alpha", "n", "total", "total_sq")

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self.n = 0.0
        self.total = 0.0
        self.total_sq = 0.0

    def add(self, x: float) -> None:
        keep = 1.0 - self.alpha
        self.n = self.n * keep + 1.0
        self.total = self.total * keep + x
        self.total_sq = self.total_sq * keep + x * x

    def shrunk_mean(self, prior: float, prior_weight: float) -> float:
        return (prior * prior_weight + self.total) / (prior_weight + self.n)


def _phi(x: float) -> float:
    """Standard normal CDF, accurate in both tails."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def lognormal_remaining(mu: float, sigma: float, elapsed: float) -> float:
    """E[T - e | T > e] for T ~ lognormal(mu, sigma) and e = ``elapsed`` minutes."""
    mean = math.exp(mu + sigma * sigma / 2)
    if elapsed <= 0:
        return mean
    if sigma <= 0:
        return max(mean - elapsed, 0.0)
    z = (math.log(elapsed) - mu) / sigma
    survival = _phi(-z)
    if survival < 1e-12:
        # Far in the tail the lognormal's mean residual life grows about like e·σ²/ln e;
        # an overrun this long is better treated as "almost done".
        return 0.0
    return mean * _phi(sigma - z) / survival - elapsed


class ServiceTimeModel:
    """Learned service durations per service, per (service, counter) and per hour."""

    def __init__(
        self,
        prior_means: Mapping[str, float],
        *,
        prior_weight: float = 10.0,
        counter_prior_weight: float = 15.0,
        hour_prior_weight: float = 30.0,
        prior_sigma: float = DEFAULT_SIGMA,
        memory: float = 300.0,
        grace_minutes: float = 2.0,
        prior_no_show_rate: float = 0.1,
    ) -> None:
        """``memory``: EW window in observations (alpha = 1 / memory) per statistic.
        ``grace_minutes``: how long a counter waits for an absent visitor before calling
        the next ticket."""
        self.prior_means = dict(prior_means)
        self.prior_weight = prior_weight
        self.counter_prior_weight = counter_prior_weight
        self.hour_prior_weight = hour_prior_weight
        self.prior_sigma = prior_sigma
        self.alpha = 1.0 / memory
        self.grace_minutes = grace_minutes
        self.prior_no_show_rate = prior_no_show_rate
        self._service: dict[str, _EW] = {}
        self._resid: dict[str, _EW] = {}  # spread of log(d) around the full prediction
        self._counter: dict[str, _EW] = {}
        self._pair: dict[tuple[str, str], _EW] = {}
        self._hour: dict[int, _EW] = {}
        self._calls = _EW(1.0 / 100)

    # -- learning ---------------------------------------------------------------------------

    def _ew(self, table: dict, key) -> _EW:
        stat = table.get(key)
        if stat is None:
            stat = table[key] = _EW(self.alpha)
        return stat

    def observe(
        self,
        service: str,
        duration_minutes: float,
        *,
        counter: str | None = None,
        at: float | None = None,
    ) -> None:
        """Learn from one completed service (``at``: start time, minutes since midnight)."""
        if duration_minutes <= 0:
            raise ValueError("a service duration must be positive")
        x = math.log(duration_minutes)
        # A hierarchy anchored on the service: its level is the plain (EW) mean of the log
        # durations; the counter effect is the mean deviation from it, the pair effect the
        # deviation left after the counter's, the hour effect what is left after both.
        # Each level explains only what the levels above it leave, so they cannot trade
        # the service's level between them.
        spread = (x - self._predict_log(service, counter, at)) ** 2
        self._ew(self._service, service).add(x)
        mu = self._service_mu(service)
        c = self._counter_effect(counter)
        if counter is not None:
            self._ew(self._counter, counter).add(x - mu)
            self._ew(self._pair, (service, counter)).add(x - mu - c)
        if at is not None:
            pair = self._pair_effect(service, counter)
            self._ew(self._hour, int(at // 60)).add(x - mu - c - pair)
        self._ew(self._resid, service).add(spread)

    def observe_call(self, no_show: bool) -> None:
        """Learn from one call: did the visitor come to the counter?"""
        self._calls.add(1.0 if no_show else 0.0)

    @property
    def no_show_rate(self) -> float:
        return self._calls.shrunk_mean(self.prior_no_show_rate, 20.0)

    # -- prediction -------------------------------------------------------------------------

    def _prior_mu(self, service: str) -> float:
        mean = self.prior_means.get(service, 10.0)
        return math.log(mean) - self.prior_sigma**2 / 2

    def _service_mu(self, service: str) -> float:
        stat = self._service.get(service)
        prior = self._prior_mu(service)
        return prior if stat is None else stat.shrunk_mean(prior, self.prior_weight)

    def _counter_effect(self, counter: str | None) -> float:
        stat = self._counter.get(counter) if counter is not None else None
        return 0.0 if stat is None else stat.shrunk_mean(0.0, self.counter_prior_weight)

    def _pair_effect(self, service: str, counter: str | None) -> float:
        stat = self._pair.get((service, counter)) if counter is not None else None
        return 0.0 if stat is None else stat.shrunk_mean(0.0, self.counter_prior_weight)

    def _hour_effect(self, at: float | None) -> float:
        stat = self._hour.get(int(at // 60)) if at is not None else None
        return 0.0 if stat is None else stat.shrunk_mean(0.0, self.hour_prior_weight)

    def _predict_log(self, service: str, counter: str | None, at: float | None) -> float:
        return (
            self._service_mu(service)
            + self._counter_effect(counter)
            + self._pair_effect(service, counter)
            + self._hour_effect(at)
        )

    def log_params(
        self, service: str, counter: str | None = None, at: float | None = None
    ) -> tuple[float, float]:
        """(mu, sigma) of log(duration) for this service, counter and start time."""
        mu = self._predict_log(service, counter, at)
        # The residuals are stored squared: their EW mean is the variance.
        stat = self._resid.get(service)
        prior_var = self.prior_sigma**2
        var = prior_var if stat is None else stat.shrunk_mean(prior_var, self.prior_weight)
        return mu, math.sqrt(max(var, 1e-6))

    def mean(self, service: str, counter: str | None = None, at: float | None = None) -> float:
        """Expected duration in minutes."""
        mu, sigma = self.log_params(service, counter, at)
        return math.exp(mu + sigma * sigma / 2)

    def multiplier(self, counter: str | None = None, at: float | None = None,
                   service: str = "") -> float:
        """The learned counter × hour effect as a factor (1 = no effect)."""
        effect = self._counter_effect(counter) + self._hour_effect(at)
        if service:
            effect += self._pair_effect(service, counter)
        return math.exp(effect)

    def remaining(
        self, service: str, elapsed: float, counter: str | None = None, at: float | None = None
    ) -> float:
        """Expected minutes left for a service started ``elapsed`` minutes ago (≥ floor)."""
        mu, sigma = self.log_params(service, counter, at)
        return max(lognormal_remaining(mu, sigma, elapsed), MIN_REMAINING_MINUTES)

    def occupancy(self, service: str, counter: str | None, at: float, no_show_rate: float) -> float:
        """Expected minutes a counter spends on a called ticket, no-shows included."""
        return (1 - no_show_rate) * self.mean(service, counter, at) + (
            no_show_rate * self.grace_minutes
        )


@dataclass(frozen=True)
class CounterState:
    """A counter session: open now (``opens_at`` None or past), or scheduled later today.

    ``closes_at`` None means the counter stays open until the queue is empty. The same
    counter may appear once per session (morning, afternoon).
    """

    counter_id: str
    services: frozenset[str]
    opens_at: float | None = None
    closes_at: float | None = None


@dataclass(frozen=True)
class InService:
    ticket_id: str
    service: str
    counter_id: str
    elapsed_minutes: float


@dataclass(frozen=True)
class QueueSnapshot:
    """What the estimator knows. Times are minutes since midnight (see
    ``minutes_since_midnight``). ``waiting`` maps each service to its waiting tickets in
    arrival order; ``recent_calls`` is the priority flag of the latest calls, oldest first."""

    now: float
    waiting: Mapping[str, Sequence[WaitingTicket]]
    counters: Sequence[CounterState]
    in_service: Sequence[InService] = ()
    no_show_rate: float = 0.0
    recent_calls: Sequence[bool] = field(default=())


def _residual_quantiles(
    model: ServiceTimeModel,
    current: InService,
    counter: str,
    now: float,
    no_show_rate: float,
    draws: int,
) -> list[float]:
    """``draws`` equally likely values of the minutes left at a busy counter (stratified
    quantiles of the conditional distribution), or its conditional mean when draws == 1.

    While the elapsed time is below the grace time the visitor may be a no-show: the
    counter is then free at the end of the grace time. Weight of that branch: Bayes with
    the prior no-show rate and the survival of a real service to ``elapsed``.
    """
    elapsed = current.elapsed_minutes
    mu, sigma = model.log_params(current.service, counter, now - elapsed)
    grace = model.grace_minutes
    survival = _phi((mu - math.log(elapsed)) / sigma) if elapsed > 0 else 1.0
    q = 0.0
    if elapsed < grace and no_show_rate > 0:
        q = no_show_rate / (no_show_rate + (1 - no_show_rate) * survival)
    floor = MIN_REMAINING_MINUTES
    if draws <= 1:
        served = max(lognormal_remaining(mu, sigma, elapsed), floor)
        return [q * max(grace - elapsed, floor) + (1 - q) * served]
    values = []
    base_cdf = 1.0 - survival
    for i in range(draws):
        u = (i + 0.5) / draws
        if u < q:
            values.append(max(grace - elapsed, floor))
            continue
        v = (u - q) / (1 - q)  # uniform over the real-service branch
        level = min(max(base_cdf + v * (1.0 - base_cdf), 1e-9), 1 - 1e-9)
        t = math.exp(mu + sigma * _NORMAL.inv_cdf(level))
        values.append(max(t - elapsed, floor))
    return values


def estimate_waits(
    snapshot: QueueSnapshot, model: ServiceTimeModel, draws: int = DEFAULT_DRAWS,
    probes: Sequence[WaitingTicket] = (),
) -> dict[str, float | None]:
    """Estimated minutes until each waiting ticket is called; None when no counter can.

    ``probes``: tickets that would be issued now, each the newest of its line (its issue
    time after every waiting ticket's). A probe is estimated without taking counter time
    or a place in the priority history, so it changes no other estimate, nor another
    probe's; its own estimate is the one it would get as a real ticket (everything it would
    delay is newer than it: nothing is called before it differently). One simulation then
    answers "a ticket taken now" for every service and class.

    ``draws`` > 1 runs the forward simulation that many times, each with the remaining
    times of the busy counters set to one stratum of their conditional distribution
    (deterministic Latin-hypercube pairing), and averages the call times. With several
    busy counters the first one free is sooner than the soonest *expected* one; a single
    run with conditional means overestimates the short waits.
    """
    now = snapshot.now
    p = min(max(snapshot.no_show_rate, 0.0), 1.0)
    busy = {s.counter_id: s for s in snapshot.in_service}

    # Per service, two lines in arrival order, oldest last (pop() = oldest): priority and
    # normal. Only their heads are handed to choose_next, which looks at nothing else.
    lines: dict[str, tuple[list[WaitingTicket], list[WaitingTicket]]] = {}
    result: dict[str, float | None] = {}
    for service, tickets in snapshot.waiting.items():
        ordered = sorted(tickets, key=lambda t: t.issued_at)
        lines[service] = (
            [t for t in reversed(ordered) if t.priority],
            [t for t in reversed(ordered) if not t.priority],
        )
        for t in ordered:
            result[t.ticket_id] = None
    probe_ids = frozenset(t.ticket_id for t in probes)
    for t in probes:  # the newest of their line: first of the reversed lists
        pair = lines.setdefault(t.service, ([], []))
        pair[0 if t.priority else 1].insert(0, t)
        result[t.ticket_id] = None
    if not result:
        return result

    sessions = list(snapshot.counters)
    starts: list[tuple[int, float, list[float] | None]] = []
    for idx, session in enumerate(sessions):
        if not any(s in lines for s in session.services):
            continue
        start = now if session.opens_at is None else max(now, session.opens_at)
        residuals = None
        if start <= now and session.counter_id in busy:
            current = busy.pop(session.counter_id)
            residuals = _residual_quantiles(
                model, current, session.counter_id, now, p, draws
            )
        starts.append((idx, start, residuals))

    runs = max(draws, 1)
    totals: dict[str, float] = {}
    reached: dict[str, int] = {}
    # The simulation is deterministic: runs starting from the same counter times (all of
    # them when no counter is busy) give the same calls; simulate each distinct start once.
    simulated: dict[tuple[tuple[float, int], ...], dict[str, float]] = {}
    for run in range(runs):
        heap: list[tuple[float, int]] = []
        for k, (idx, start, residuals) in enumerate(starts):
            if residuals is not None:
                # A different stride per busy counter pairs the strata without correlation.
                start = now + residuals[(run * (2 * k + 1) + k) % len(residuals)]
            heap.append((start, idx))
        key = tuple(heap)
        calls = simulated.get(key)
        if calls is None:
            heapq.heapify(heap)
            calls = simulated[key] = _forward(heap, sessions, lines, snapshot.recent_calls,
                                              model, p, probe_ids)
        for ticket_id, at in calls.items():
            totals[ticket_id] = totals.get(ticket_id, 0.0) + at - now
            reached[ticket_id] = reached.get(ticket_id, 0) + 1
    for ticket_id, total in totals.items():
        # A ticket reached in only some runs (a counter closing) counts as reached.
        result[ticket_id] = total / reached[ticket_id]
    return result


def _forward(
    heap: list[tuple[float, int]],
    sessions: Sequence[CounterState],
    lines: Mapping[str, tuple[list[WaitingTicket], list[WaitingTicket]]],
    recent_calls: Sequence[bool],
    model: ServiceTimeModel,
    no_show_rate: float,
    probe_ids: frozenset[str] = frozenset(),
) -> dict[str, float]:
    """One forward simulation with expected durations: ticket id -> call time. A probe
    (estimate_waits) is noted when chosen and leaves the counter free at the same time."""
    lines = {s: (list(prio), list(normal)) for s, (prio, normal) in lines.items()}
    left = sum(len(a) + len(b) for a, b in lines.values())
    history = list(recent_calls[-MAX_PRIORITY_STREAK:])
    calls: dict[str, float] = {}
    while heap and left:
        free_at, idx = heapq.heappop(heap)
        session = sessions[idx]
        if session.closes_at is not None and free_at >= session.closes_at:
            continue
        heads = []
        for s in session.services:
            pair = lines.get(s)
            if pair is None:
                continue
            if pair[0]:
                heads.append(pair[0][-1])
            if pair[1]:
                heads.append(pair[1][-1])
        chosen = choose_next(heads, history)
        if chosen is None:
            continue  # nothing left this counter may serve: it idles for good
        lines[chosen.service][0 if chosen.priority else 1].pop()
        if chosen.ticket_id in probe_ids:
            calls[chosen.ticket_id] = free_at
            left -= 1
            heapq.heappush(heap, (free_at, idx))
            continue
        history.append(chosen.priority)
        if len(history) > MAX_PRIORITY_STREAK:
            del history[0]
        calls[chosen.ticket_id] = free_at
        left -= 1
        duration = model.occupancy(chosen.service, session.counter_id, free_at, no_show_rate)
        heapq.heappush(heap, (free_at + duration, idx))
    return calls
