"""What the wait estimator learns from history: service durations, the counters' gaps
between two visitors, no-shows and visitors who leave before their call.

Service durations (``ServiceTimeModel.observe``)
    Lognormal. For each service the model keeps an exponentially weighted (EW) mean and
    variance of ``log(duration)``, and EW mean residuals for each counter, each (service,
    counter) pair and each hour of the day. Every learned quantity is shrunk toward its
    prior with weight ``n / (n + n0)``, ``n`` being the EW number of observations: the
    service's configured ``mean_service_minutes`` dominates until about ``prior_weight``
    observations, the counter, pair and hour multipliers start at 1. Working in logs makes
    the mean robust: one 90-minute file moves it by a bounded step.

    The shape (``durations``): the recent durations with their effects divided out, an
    empirical distribution blended with that lognormal until data come. The time left of a
    ticket in service is read from it (``remaining``, ``remaining_quantiles``): a real
    service is a mixture (quick exits, a body, long files), which a lognormal misreads.

Gaps (``observe_gap``)
    Minutes between a counter becoming free (end of a service, or its opening) with
    somebody waiting and its next call: agents are not always at their desk. Kept as an
    empirical distribution of the recent gaps (per counter, blended with the site's), so
    the estimator can ask "this counter has been idle for 6 minutes: when will it call?"
    (``gap_residual``) without assuming a shape; a mixture of "calls at once" and "away for
    a while" is common.

No-shows and leaves (``observe_call``, ``observe_leave``)
    The share of called visitors who do not come (the counter waits ``grace_minutes``, or
    the learned time to "absent"), and the rate at which waiting visitors leave without
    being called (a constant hazard per minute waited): a ticket ahead that will leave
    costs no counter time.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from statistics import NormalDist
from typing import TypeVar

MIN_REMAINING_MINUTES = 0.5
DEFAULT_SIGMA = 0.5  # prior spread of log(duration): a coefficient of variation near 0.53
# A leave rate given without waited minutes is turned into a hazard with this typical wait.
ASSUMED_WAIT_MINUTES = 30.0
MAX_GAP_MINUTES = 240.0
# The learned lognormal stands for the durations not seen yet as this many quantiles.
PRIOR_POINTS = 40
_NORMAL = NormalDist()
_K = TypeVar("_K")  # the key of one of the model's tables


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


class GapDistribution:
    """A discrete distribution of gaps: sorted values with weights summing to 1."""

    __slots__ = ("values", "weights", "mean", "second")

    def __init__(self, pairs: list[tuple[float, float]]) -> None:
        pairs.sort()
        total = sum(w for _, w in pairs) or 1.0
        self.values = [v for v, _ in pairs]
        self.weights = [w / total for _, w in pairs]
        self.mean = sum(v * w for v, w in zip(self.values, self.weights, strict=True))
        self.second = sum(v * v * w for v, w in zip(self.values, self.weights, strict=True))

    @property
    def variance(self) -> float:
        return max(self.second - self.mean * self.mean, 0.0)

    def residual(self, elapsed: float, draws: int = 1) -> list[float]:
        """``draws`` equally likely values (stratified quantiles) of ``G - elapsed`` given
        ``G > elapsed``; one value, the conditional mean, when draws <= 1.

        An idle time longer than (nearly) every gap seen: an exponential tail whose mean
        is the mean excess of the largest gaps (the agent is away "for a while")."""
        if draws <= 1:
            start = self._start(elapsed)
            values, weights = self.values[start:], self.weights[start:]
            total = sum(weights)
            if total < 0.02:
                return [self._tail()]
            return [sum((v - elapsed) * w for v, w in zip(values, weights, strict=True)) / total]
        return self.after(elapsed, [(i + 0.5) / draws for i in range(draws)])

    def _start(self, elapsed: float) -> int:
        # Values of exactly 0 are frequent (a call at once): "G > 0" only once time passed.
        return bisect.bisect_right(self.values, elapsed) if elapsed > 0 else 0

    def _tail(self) -> float:
        """Mean excess beyond the largest values (the exponential tail's mean, >= 1 min)."""
        if self.values[-1] <= 0:
            return 0.0
        top = self.values[int(len(self.values) * 0.9):] or [0.0]
        return max(sum(top) / len(top) - top[0], 1.0)

    def survival(self, elapsed: float) -> float:
        """P(G > elapsed)."""
        return sum(self.weights[self._start(elapsed):])

    def after(self, elapsed: float, levels: list[float]) -> list[float]:
        """The quantiles at ``levels`` (ascending, in (0, 1)) of ``G - elapsed`` given
        ``G > elapsed``; beyond (nearly) every value seen, the exponential tail."""
        start = self._start(elapsed)
        values, weights = self.values[start:], self.weights[start:]
        total = sum(weights)
        if total < 0.02:
            if self.values[-1] <= 0:  # no positive value ever seen: at once
                return [0.0] * len(levels)
            tail = self._tail()
            return [-tail * math.log(1 - u) for u in levels]
        out, acc, k = [], 0.0, 0
        for u in levels:
            level = u * total
            while k < len(values) - 1 and acc + weights[k] < level:
                acc += weights[k]
                k += 1
            out.append(values[k] - elapsed)
        return out


class ServiceTimeModel:
    """Learned service durations per service, per (service, counter) and per hour, plus
    the counters' gaps, the no-show rate and the leave hazard."""

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
        prior_gap_minutes: float = 0.0,
        gap_prior_weight: float = 5.0,
        gap_memory: int = 400,
        prior_leave_rate: float = 0.0,
    ) -> None:
        """``memory``: EW window in observations (alpha = 1 / memory) per statistic.
        ``grace_minutes``: how long a counter waits for an absent visitor before calling
        the next ticket. ``prior_gap_minutes``: the gap assumed until gaps are observed
        (0: a free counter calls at once)."""
        self.prior_means = dict(prior_means)
        self.prior_weight = prior_weight
        self.counter_prior_weight = counter_prior_weight
        self.hour_prior_weight = hour_prior_weight
        self.prior_sigma = prior_sigma
        self.alpha = 1.0 / memory
        self.grace_minutes = grace_minutes
        self.prior_no_show_rate = prior_no_show_rate
        self.prior_gap_minutes = prior_gap_minutes
        self.gap_prior_weight = gap_prior_weight
        self.prior_leave_rate = prior_leave_rate
        self._service: dict[str, _EW] = {}
        # Linear-scale moments of duration / exp(counter, pair and hour effects): the mean
        # a queue adds up. exp(mu + σ²/2) with σ learned on a mixture (quick exits, long
        # files) overstates it by a third or more.
        self._linear: dict[str, _EW] = {}
        self._resid: dict[str, _EW] = {}  # spread of log(d) around the full prediction
        # Recent durations / exp(effects), per service: the shape of a service (a mixture of
        # quick exits, a body and a heavy tail) for the time left of a ticket in service.
        self._durations: dict[str, deque[float]] = {}
        self._duration_cache: dict[str, GapDistribution] = {}
        self._duration_memory = int(memory)
        self._counter: dict[str, _EW] = {}
        self._pair: dict[tuple[str, str], _EW] = {}
        self._hour: dict[int, _EW] = {}
        self._calls = _EW(1.0 / 100)
        self._absent = _EW(1.0 / 100)  # minutes from the call to "absent"
        self._gaps: deque[float] = deque(maxlen=gap_memory)
        self._counter_gaps: dict[str, deque[float]] = {}
        self._gap_cache: dict[str | None, GapDistribution] = {}
        self._leaves = _EW(1.0 / 300)
        self._exposure = _EW(1.0 / 300)  # minutes waited, when given with a leave or call

    # -- learning ---------------------------------------------------------------------------

    def _ew(self, table: dict[_K, _EW], key: _K) -> _EW:
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
        effects = self._effects(service, counter, at)
        level = self._linear_moments(service)[0]
        # Winsorized: one file left open for hours must not move the mean much.
        self._ew(self._linear, service).add(
            min(duration_minutes * math.exp(-effects), 8.0 * level))
        line = self._durations.get(service)
        if line is None:
            line = self._durations[service] = deque(maxlen=self._duration_memory)
        line.append(duration_minutes * math.exp(-effects))
        self._duration_cache.pop(service, None)
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

    def observe_call(self, no_show: bool, minutes: float | None = None) -> None:
        """Learn from one call: did the visitor come to the counter? For a no-show,
        ``minutes`` is the time from the call to "absent" (the counter time it cost)."""
        self._calls.add(1.0 if no_show else 0.0)
        if no_show and minutes is not None and minutes > 0:
            self._absent.add(min(minutes, 30.0))

    def observe_gap(self, counter: str | None, minutes: float) -> None:
        """Learn one gap: minutes between the counter becoming free while somebody it could
        serve was waiting (end of a service, its opening, or that ticket's issue if later)
        and its next call."""
        value = min(max(minutes, 0.0), MAX_GAP_MINUTES)
        self._gaps.append(value)
        if counter is not None:
            line = self._counter_gaps.get(counter)
            if line is None:
                assert self._gaps.maxlen is not None  # gap_memory: always a bound
                line = self._counter_gaps[counter] = deque(maxlen=self._gaps.maxlen // 2)
            line.append(value)
        self._gap_cache.clear()

    def observe_leave(self, left: bool, waited_minutes: float | None = None) -> None:
        """Learn from one ticket leaving the queue: ``left`` True when it left without
        being called (cancelled by the visitor, expired), False when it was called.
        ``waited_minutes`` (how long it had waited) lets the model learn a hazard per
        minute instead of assuming a typical wait."""
        self._leaves.add(1.0 if left else 0.0)
        if waited_minutes is not None:
            self._exposure.add(max(waited_minutes, 0.0))

    @property
    def no_show_rate(self) -> float:
        return self._calls.shrunk_mean(self.prior_no_show_rate, 20.0)

    @property
    def no_show_minutes(self) -> float:
        """Counter minutes a no-show costs: the learned time to "absent", else the grace."""
        return self._absent.shrunk_mean(self.grace_minutes, 10.0)

    @property
    def leave_rate(self) -> float:
        """Share of tickets that leave the queue without being called."""
        return self._leaves.shrunk_mean(self.prior_leave_rate, 20.0)

    @property
    def leave_hazard(self) -> float:
        """Probability per minute waited that a waiting visitor leaves (constant hazard:
        leaves / minutes waited)."""
        rate = self.leave_rate
        if rate <= 0:
            return 0.0
        waited = ASSUMED_WAIT_MINUTES
        if self._exposure.n >= 20 and self._exposure.total > 0:
            waited = self._exposure.total / self._exposure.n
        # P(leave) = 1 - exp(-h × waited) for a ticket exposed ``waited`` minutes.
        return -math.log(max(1.0 - rate, 1e-6)) / waited

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

    def _effects(self, service: str, counter: str | None, at: float | None) -> float:
        return (self._counter_effect(counter) + self._pair_effect(service, counter)
                + self._hour_effect(at))

    def _predict_log(self, service: str, counter: str | None, at: float | None) -> float:
        return self._service_mu(service) + self._effects(service, counter, at)

    def _linear_moments(self, service: str) -> tuple[float, float]:
        """(E[D], E[D²]) of the service's durations, effects removed, shrunk to the prior."""
        prior = self.prior_means.get(service, 10.0)
        prior_second = prior * prior * math.exp(self.prior_sigma**2)
        stat = self._linear.get(service)
        if stat is None:
            return prior, prior_second
        w = self.prior_weight
        return (stat.shrunk_mean(prior, w),
                (prior_second * w + stat.total_sq) / (w + stat.n))

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
        return self._linear_moments(service)[0] * math.exp(self._effects(service, counter, at))

    def multiplier(self, counter: str | None = None, at: float | None = None,
                   service: str = "") -> float:
        """The learned counter × hour effect as a factor (1 = no effect)."""
        effect = self._counter_effect(counter) + self._hour_effect(at)
        if service:
            effect += self._pair_effect(service, counter)
        return math.exp(effect)

    def durations(self, service: str) -> GapDistribution:
        """The distribution of the service's durations with effects removed: its recent
        durations (weight n / (n + prior_weight)) and the learned lognormal's
        ``PRIOR_POINTS`` stratified quantiles (the rest). No shape is assumed once data
        come: a real service is a mixture (quick exits, long files)."""
        hit = self._duration_cache.get(service)
        if hit is not None:
            return hit
        seen = self._durations.get(service, ())
        mu = self._service_mu(service)
        sigma = self.log_params(service)[1]
        share = len(seen) / (len(seen) + self.prior_weight)
        k = PRIOR_POINTS
        pairs = [(math.exp(mu + sigma * _NORMAL.inv_cdf((i + 0.5) / k)), (1 - share) / k)
                 for i in range(k)]
        pairs += [(v, share / len(seen)) for v in seen]
        dist = self._duration_cache[service] = GapDistribution(pairs)
        return dist

    def _scaled_durations(self, service: str, counter: str | None,
                          at: float | None) -> tuple[GapDistribution, float]:
        return self.durations(service), math.exp(self._effects(service, counter, at))

    def survival(self, service: str, elapsed: float, counter: str | None = None,
                 at: float | None = None) -> float:
        """P(duration > elapsed) for a service started at ``at``."""
        dist, scale = self._scaled_durations(service, counter, at)
        return dist.survival(elapsed / scale) if elapsed > 0 else 1.0

    def remaining_quantiles(self, service: str, elapsed: float, levels: list[float],
                            counter: str | None = None, at: float | None = None) -> list[float]:
        """Quantiles at ``levels`` (ascending) of the minutes left of a service started
        ``elapsed`` minutes ago (no floor)."""
        dist, scale = self._scaled_durations(service, counter, at)
        return [scale * v for v in dist.after(elapsed / scale, levels)]

    def remaining(
        self, service: str, elapsed: float, counter: str | None = None, at: float | None = None
    ) -> float:
        """Expected minutes left for a service started ``elapsed`` minutes ago (≥ floor)."""
        dist, scale = self._scaled_durations(service, counter, at)
        return max(scale * dist.residual(elapsed / scale)[0], MIN_REMAINING_MINUTES)

    def gaps(self, counter: str | None = None) -> GapDistribution:
        """The gap distribution of ``counter``: its own recent gaps blended with the
        site's, shrunk toward ``prior_gap_minutes``."""
        hit = self._gap_cache.get(counter)
        if hit is not None:
            return hit
        own = self._counter_gaps.get(counter, ()) if counter is not None else ()
        site = self._gaps
        n0 = self.gap_prior_weight
        # Weights: the counter's share n_c / (n_c + 20) of the evidence, the site's the
        # rest; the prior a point mass of weight n0 / (n + n0).
        share = len(own) / (len(own) + 20.0) if own else 0.0
        data = 1.0 - n0 / (len(site) + n0)
        pairs = [(self.prior_gap_minutes, 1.0 - data)]
        if own:
            pairs += [(v, data * share / len(own)) for v in own]
        if site:
            pairs += [(v, data * (1.0 - share) / len(site)) for v in site]
        dist = self._gap_cache[counter] = GapDistribution(pairs)
        return dist

    def occupancy(self, service: str, counter: str | None, at: float, no_show_rate: float) -> float:
        """Expected minutes a counter spends on a called ticket, no-shows included (the
        gap to its next call excluded: see ``gaps``)."""
        return (1 - no_show_rate) * self.mean(service, counter, at) + (
            no_show_rate * self.no_show_minutes
        )

    def occupancy_moments(
        self, service: str, counter: str | None, at: float, no_show_rate: float
    ) -> tuple[float, float]:
        """(mean, variance) of the counter minutes a called ticket costs, gap included."""
        first, second = self._linear_moments(service)
        factor = math.exp(self._effects(service, counter, at))
        mean_d, second_d = first * factor, second * factor * factor
        gap = self.gaps(counter)
        absent = self.no_show_minutes
        p = no_show_rate
        mean = (1 - p) * mean_d + p * absent + gap.mean
        second_x = (1 - p) * second_d + p * absent * absent
        mean_x = mean - gap.mean
        var = max(second_x - mean_x * mean_x, 0.0) + gap.variance
        return mean, var
