"""Wait estimation: a forward simulation of the queue with a learned model
(``kiosk.domain.service_times``).

Pure and deterministic: the same snapshot and model always give the same estimates, whatever
the hash seed (no set is ever iterated to decide an order).

Forward simulation (``estimate_calls``, ``estimate_waits``)
    Each counter session (a counter open now, or scheduled to open later today) becomes a
    server whose first call comes

    - busy: after the remaining service (the conditional distribution given the minutes
      already spent, a no-show possible while the elapsed time is short) plus a gap;
    - idle and open: after the residual of its gap given how long it has been idle
      (``CounterState.idle_since``; the oldest ticket it may serve, if later);
    - opening later: at ``opens_at`` plus a gap.

    Repeatedly the earliest free server calls the next ticket among the services it serves
    by the fair priority rule of ``kiosk.domain.priority``; that ticket's call time is
    noted, and the server is busy for the ticket's expected cost: ``(1 - q) × ((1 - p) ×
    E[duration] + p × absent + E[gap])``, with ``p`` the no-show rate, ``absent`` the
    counter time a no-show costs and ``q`` the chance that the visitor has left before the
    call (a learned hazard per minute). A server does not start a ticket at or after its
    ``closes_at``. Tickets that no server can reach are unreachable.

    The run is repeated ``draws`` times with the uncertain first calls set to stratified
    quantiles of their distributions, and averaged; each run also carries the variance of
    the work each server has done, so a ticket's call time gets a mean and a variance,
    turned into quantiles by a lognormal fit (``CallEstimate``).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

from kiosk.domain.appointments import HOLD_FACTOR, Slot
from kiosk.domain.priority import MAX_PRIORITY_STREAK, WaitingTicket, choose_next

# Re-exported (`as`): the old import path of these names.
from kiosk.domain.service_times import ASSUMED_WAIT_MINUTES as ASSUMED_WAIT_MINUTES
from kiosk.domain.service_times import DEFAULT_SIGMA as DEFAULT_SIGMA
from kiosk.domain.service_times import MIN_REMAINING_MINUTES as MIN_REMAINING_MINUTES
from kiosk.domain.service_times import GapDistribution as GapDistribution
from kiosk.domain.service_times import ServiceTimeModel as ServiceTimeModel
from kiosk.domain.service_times import _phi as _phi
from kiosk.domain.service_times import lognormal_remaining as lognormal_remaining
from kiosk.domain.service_times import minutes_since_midnight as minutes_since_midnight

DEFAULT_DRAWS = 16
DEFAULT_LOW_Q = 0.2
DEFAULT_HIGH_Q = 0.8
_NORMAL = NormalDist()
# Calibration of the quantiles (see docs): the forward simulation's variance times
# VARIANCE_SCALE, plus (RELATIVE_SPREAD × mean)² for what it does not model (arrivals that
# overtake, the model's own error on the means).
VARIANCE_SCALE = 1.0
RELATIVE_SPREAD = 0.15


@dataclass(frozen=True)
class CounterState:
    """A counter session: open now (``opens_at`` None or past), or scheduled later today.

    ``closes_at`` None means the counter stays open until the queue is empty. The same
    counter may appear once per session (morning, afternoon). ``idle_since``: for a counter
    open now with nobody in service, when it became free (end of its last service today,
    or its opening), minutes since midnight; None = unknown (taken as "just now").
    """

    counter_id: str
    services: frozenset[str]
    opens_at: float | None = None
    closes_at: float | None = None
    idle_since: float | None = None


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
    # The day's appointments still to call (kiosk.domain.appointments): checked-in lane
    # tickets (estimated too) and booked slots to come; each occupies a counter at its time.
    appointments: Sequence[Slot] = field(default=())


@dataclass(frozen=True)
class CallEstimate:
    """Minutes from the snapshot's ``now`` until the ticket's call: the mean and a low and
    high quantile (p20 and p80 by default). ``reachable`` False: no counter session today
    can call it; the three numbers are then None.

    ``runs``: the (mean, variance) of the call time in each run of the forward simulation
    that reached the ticket, the calibration's spread included: the call time's
    distribution is their mixture (``kiosk.domain.notify.call_cdf``), whose low tail a
    single lognormal misplaces (a visitor ahead may be done in a minute or in half an
    hour). Empty for estimates not made by ``estimate_calls``."""

    mean: float | None
    low: float | None
    high: float | None
    reachable: bool
    runs: tuple[tuple[float, float], ...] = field(default=(), compare=False, repr=False)


UNREACHABLE = CallEstimate(None, None, None, False)


def _busy_residuals(
    model: ServiceTimeModel,
    current: InService,
    counter: str,
    now: float,
    no_show_rate: float,
    draws: int,
) -> list[float]:
    """``draws`` equally likely values of the minutes left at a busy counter (stratified
    quantiles of the conditional distribution), or its conditional mean when draws == 1.

    The time left is read from the service's learned durations (``model.durations``: its
    recent durations, the lognormal only until they come), given the minutes elapsed.
    While the elapsed time is below the time a no-show costs, the visitor may be absent:
    the counter is then free at the end of that time. Weight of that branch: Bayes with
    the no-show rate and the survival of a real service to ``elapsed``.
    """
    elapsed = current.elapsed_minutes
    start = now - elapsed
    absent = model.no_show_minutes
    survival = model.survival(current.service, elapsed, counter, start)
    q = 0.0
    if elapsed < absent and no_show_rate > 0:
        q = no_show_rate / (no_show_rate + (1 - no_show_rate) * survival)
    # The floor only stops a far overrun from counting as "free this instant"; a no-show
    # branch ending in a few seconds keeps its own value.
    floor = MIN_REMAINING_MINUTES
    if draws <= 1:
        mean_left = model.remaining(current.service, elapsed, counter, start)
        return [q * max(absent - elapsed, 0.0) + (1 - q) * mean_left]
    levels = [(i + 0.5) / draws for i in range(draws)]
    real = [(u - q) / (1 - q) for u in levels if u >= q]  # uniform over the real branch
    quantiles = model.remaining_quantiles(current.service, elapsed, real, counter, start)
    return ([max(absent - elapsed, 0.0)] * (draws - len(real))
            + [max(t, floor) for t in quantiles])


def _lines(snapshot: QueueSnapshot, probes: Sequence[WaitingTicket],
           ) -> tuple[dict[str, tuple[list[WaitingTicket], list[WaitingTicket]]], list[str]]:
    """Per service, two lines (priority, normal), oldest last (pop() = the oldest)."""
    lines: dict[str, tuple[list[WaitingTicket], list[WaitingTicket]]] = {}
    ids: list[str] = []
    for service in sorted(snapshot.waiting):
        ordered = sorted(snapshot.waiting[service], key=lambda t: t.place)
        if not ordered:
            continue
        lines[service] = (
            [t for t in reversed(ordered) if t.priority],
            [t for t in reversed(ordered) if not t.priority],
        )
        ids += [t.ticket_id for t in ordered]
    for t in probes:  # the newest of their line: first of the reversed lists
        pair = lines.setdefault(t.service, ([], []))
        pair[0 if t.priority else 1].insert(0, t)
        ids.append(t.ticket_id)
    return lines, ids


def estimate_calls(
    snapshot: QueueSnapshot, model: ServiceTimeModel, draws: int = DEFAULT_DRAWS,
    probes: Sequence[WaitingTicket] = (), low_q: float = DEFAULT_LOW_Q,
    high_q: float = DEFAULT_HIGH_Q,
) -> dict[str, CallEstimate]:
    """When each waiting ticket (and each probe) will be called: mean and quantiles.

    ``probes``: tickets that would be issued now, each the newest of its line (its place
    after every waiting ticket's). A probe is estimated without taking counter time or a
    place in the priority history, so it changes no other estimate, nor another probe's;
    its own estimate is the one it would get as a real ticket (everything it would delay
    is newer than it). One simulation then answers "a ticket taken now" for every service
    and class.

    ``draws`` > 1 runs the forward simulation that many times, each with the first calls
    of the counters set to one stratum of their distributions (deterministic
    Latin-hypercube pairing), and averages: with several busy counters the first one free
    is sooner than the soonest *expected* one.
    """
    now = snapshot.now
    p = min(max(snapshot.no_show_rate, 0.0), 1.0)
    lines, ids = _lines(snapshot, probes)
    ids += [s.ticket_id for s in snapshot.appointments if s.ticket_id is not None]
    if not ids:
        return {}
    runs = max(draws, 1)
    busy = {s.counter_id: s for s in snapshot.in_service}
    oldest = {s: min(t.issued_at for pair in lines[s] for t in pair) for s in lines}
    booked = {s.service for s in snapshot.appointments}

    sessions = list(snapshot.counters)
    served = [tuple(sorted(s for s in session.services if s in lines or s in booked))
              for session in sessions]
    starts: list[tuple[int, float, list[float], float]] = []
    for idx, session in enumerate(sessions):
        if not served[idx]:
            continue
        gaps = model.gaps(session.counter_id)
        if session.opens_at is not None and session.opens_at > now:
            base, offsets, var0 = session.opens_at, gaps.residual(0.0, runs), 0.0
        elif session.counter_id in busy:
            current = busy.pop(session.counter_id)
            offsets = [r + gaps.mean for r in
                       _busy_residuals(model, current, session.counter_id, now, p, runs)]
            base, var0 = now, gaps.variance
        else:
            idle = 0.0
            if session.idle_since is not None and session.opens_at is None:
                # Idle since it became free, or since the oldest ticket it may serve came.
                since = max(session.idle_since,
                            min(oldest.get(s, now) for s in served[idx]))
                idle = max(now - since, 0.0)
            base, offsets, var0 = now, gaps.residual(idle, runs), 0.0
        starts.append((idx, base, offsets, var0))

    hazard = model.leave_hazard
    moments: dict[tuple[str, str, int], tuple[float, float]] = {}

    def cost(service: str, counter: str, at: float) -> tuple[float, float]:
        key = (service, counter, int(at // 60))
        hit = moments.get(key)
        if hit is None:
            hit = moments[key] = model.occupancy_moments(service, counter, at, p)
        return hit

    # Per service, the sessions that may serve it: the pool sharing its work.
    spans: dict[str, list[tuple[float, float | None]]] = {}
    for idx, base, _offsets, _var in starts:
        for s in served[idx]:
            spans.setdefault(s, []).append((base, sessions[idx].closes_at))
    pools = {s: _Pool(span) for s, span in spans.items()}
    probe_ids = frozenset(t.ticket_id for t in probes)
    context = _Context(sessions, served, lines, snapshot.recent_calls, cost, hazard, now,
                       probe_ids, pools, sorted(snapshot.appointments, key=lambda a: a.start),
                       1.0 - p)

    per_run: dict[str, list[tuple[float, float]]] = {}  # id -> (wait, within variance) per run
    simulated: dict[tuple[tuple[float, int, float], ...], dict[str, tuple[float, float]]] = {}
    for run in range(runs):
        heap = []
        for k, (idx, base, offsets, var0) in enumerate(starts):
            # A different stride per counter pairs the strata without correlation.
            offset = offsets[(run * (2 * k + 1) + k) % len(offsets)]
            heap.append((base + offset, idx, var0))
        key = tuple(heap)
        calls = simulated.get(key)
        if calls is None:
            heapq.heapify(heap)
            calls = simulated[key] = _forward(heap, context)
        for ticket_id, (at, var) in calls.items():
            reached = per_run.get(ticket_id)
            if reached is None:
                reached = per_run[ticket_id] = []
            reached.append((at - now, var))

    z_low, z_high = _NORMAL.inv_cdf(low_q), _NORMAL.inv_cdf(high_q)
    result: dict[str, CallEstimate] = {}
    for ticket_id in ids:
        reached = per_run.get(ticket_id)
        if reached is None:
            result[ticket_id] = UNREACHABLE
            continue
        # A ticket reached in only some runs (a counter closing) counts as reached.
        total = squares = within = 0.0
        for wait, var in reached:
            total += wait
            squares += wait * wait
            within += var
        n = len(reached)
        mean = total / n
        between = max(squares / n - mean * mean, 0.0)
        var = VARIANCE_SCALE * (between + within / n) + (RELATIVE_SPREAD * mean) ** 2
        low, high = _lognormal_quantiles(mean, var, z_low, z_high)
        mixture = tuple((w, VARIANCE_SCALE * v + (RELATIVE_SPREAD * w) ** 2)
                        for w, v in reached)
        result[ticket_id] = CallEstimate(mean, low, high, True, mixture)
    return result


def _lognormal_quantiles(mean: float, var: float, *zs: float) -> tuple[float, ...]:
    if mean <= 1e-9:
        return tuple(0.0 for _ in zs)
    s2 = math.log1p(var / (mean * mean))
    mu, s = math.log(mean) - s2 / 2, math.sqrt(s2)
    return tuple(math.exp(mu + s * z) for z in zs)


def estimate_waits(
    snapshot: QueueSnapshot, model: ServiceTimeModel, draws: int = DEFAULT_DRAWS,
    probes: Sequence[WaitingTicket] = (),
) -> dict[str, float | None]:
    """Estimated minutes until each waiting ticket is called; None when no counter can.
    The means of ``estimate_calls``."""
    return {k: v.mean for k, v in estimate_calls(snapshot, model, draws, probes).items()}


@dataclass
class _Context:
    sessions: Sequence[CounterState]
    served: Sequence[tuple[str, ...]]
    lines: Mapping[str, tuple[list[WaitingTicket], list[WaitingTicket]]]
    recent_calls: Sequence[bool]
    cost: Callable[[str, str, float], tuple[float, float]]  # (mean, variance) of a service
    hazard: float
    now: float
    probe_ids: frozenset[str]
    pools: Mapping[str, _Pool]
    slots: Sequence[Slot] = ()  # by start
    shows: float = 1.0  # the chance a booked (not checked-in) appointment comes


def _slot_for(pending: list[Slot], served: tuple[str, ...], until: float) -> Slot | None:
    """The appointment a free server takes (as do_call_next's rule): the earliest of its
    services starting by ``until`` (now + HOLD_FACTOR x the walk-in it would call)."""
    for slot in pending:
        if slot.service in served and slot.start <= until:
            return slot
    return None


class _Pool:
    """The sessions sharing a service's work, each open from its start until its end (None:
    no end): how many are open at a time (at least one), in O(log n) a question. A session
    open at ``at`` has started by then and not ended; one that ends by its start never is."""

    __slots__ = ("starts", "ends")

    def __init__(self, spans: Sequence[tuple[float, float | None]]) -> None:
        kept = [(start, end) for start, end in spans if end is None or end > start]
        self.starts = sorted(start for start, _ in kept)
        self.ends = sorted(end for _, end in kept if end is not None)

    def size(self, at: float) -> int:
        # Started by `at`, less those ended by `at` (all of which had started by then).
        return max(bisect_right(self.starts, at) - bisect_right(self.ends, at), 1)


def _forward(heap: list[tuple[float, int, float]], ctx: _Context) -> dict[str, tuple[float, float]]:
    """One forward simulation with expected costs: ticket id -> (call time, variance). A
    probe is noted when chosen and leaves the counter free at the same time.

    The variance of a call is the variance of the work its server did before it, divided
    by the number of servers sharing that service's work then: with ``c`` servers the
    k-th call waits for about k/c services of each, and the pooled sum's variance is
    ``k σ² / c²`` (one server's ``(k/c) σ²`` over ``c``)."""
    lines = {s: (list(prio), list(normal)) for s, (prio, normal) in ctx.lines.items()}
    left = sum(len(a) + len(b) for a, b in lines.values())
    pending = list(ctx.slots)
    history = list(ctx.recent_calls[-MAX_PRIORITY_STREAK:])
    calls: dict[str, tuple[float, float]] = {}
    sessions, served, probe_ids, cost = ctx.sessions, ctx.served, ctx.probe_ids, ctx.cost
    pools, hazard, now = ctx.pools, ctx.hazard, ctx.now
    empty: tuple[list[WaitingTicket], list[WaitingTicket]] = ([], [])
    while heap and (left or pending):
        free_at, idx, var = heapq.heappop(heap)
        session = sessions[idx]
        if session.closes_at is not None and free_at >= session.closes_at:
            continue
        heads = []
        for s in served[idx]:
            prio, normal = lines.get(s, empty)
            if prio:
                heads.append(prio[-1])
            if normal:
                heads.append(normal[-1])
        chosen = choose_next(heads, history)
        slot = None
        if pending:
            # Due, or starting before the walk-in it would call could end (do_call_next's
            # rule); with no walk-in to call, the next slot of its services whenever it is.
            until = (free_at + HOLD_FACTOR * cost(chosen.service, session.counter_id, free_at)[0]
                     if chosen is not None else math.inf)
            slot = _slot_for(pending, served[idx], until)
        if slot is not None:
            # The counter keeps itself free for the slot, then serves it.
            pending.remove(slot)
            at = max(free_at, slot.start)
            shows = 1.0 if slot.ticket_id is not None else ctx.shows
            if slot.ticket_id is not None:
                calls[slot.ticket_id] = (at, var / pools[slot.service].size(at))
            # For what its service learned to take (the booked length is an upper bound).
            length = min(slot.duration, cost(slot.service, session.counter_id, at)[0])
            heapq.heappush(heap, (at + shows * length, idx, var))
            continue
        if chosen is None:
            continue  # nothing left this counter may serve: it idles for good
        lines[chosen.service][0 if chosen.priority else 1].pop()
        left -= 1
        call_var = var / pools[chosen.service].size(free_at)
        calls[chosen.ticket_id] = (free_at, call_var)
        if chosen.ticket_id in probe_ids:
            heapq.heappush(heap, (free_at, idx, var))
            continue
        history.append(chosen.priority)
        if len(history) > MAX_PRIORITY_STREAK:
            del history[0]
        mean, v = cost(chosen.service, session.counter_id, free_at)
        stays = math.exp(-hazard * (free_at - now)) if hazard else 1.0
        # Left before the call (probability 1 - stays): it costs no counter time.
        step = stays * mean
        step_var = stays * (v + mean * mean) - step * step
        heapq.heappush(heap, (free_at + step, idx, var + step_var))
    return calls
