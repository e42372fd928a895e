"""Scores of simulated days (kiosk.domain.sim_replay.Outcome records), as bench rows.

Per scenario and overall: MAE, MSE, bias, the share under-estimated by more than 5 min, the
MAE relative to the actual wait for waits of 10-60 min, and when the "near" SMS reaches the
phone relative to the call. Baselines scored on the same tickets: the naive formula with the
learned mean ("naive") and "last to enter service" (LES). Targets are printed, never
asserted: MSE <= 0.7x the better baseline; MAE <= 25 % of the wait for 10-60 min waits;
>= 90 % of SMS 8-25 min before the call, <= 2 % after it or < 5 min before it.
"""

from __future__ import annotations

import random
import statistics

from kiosk.domain.sim_replay import Outcome
from tests.bench.table import Row

BAND = (10.0, 60.0)
UNDER_BY = 5.0  # minutes: an under-estimate the visitor notices


def scored(outcomes: list[Outcome]) -> list[Outcome]:
    """Tickets called, with an estimate at issue (baselines always have one)."""
    return [o for o in outcomes if o.wait is not None and o.estimate is not None
            and o.naive is not None and o.les is not None]


def phone_delay(o: Outcome) -> float:
    """Minutes between the SMS row and the phone (gateway + network: 5-30 s), per ticket."""
    return random.Random(f"sms-{o.scenario}-{o.day}-{o.ticket_id}").uniform(5, 30) / 60


def sms_leads(outcomes: list[Outcome]) -> tuple[list[float | None], int]:
    """Minutes from the "near" SMS reaching the phone to the call (None: no SMS before the
    call, or after it), for called tickets with a phone not told "near" at issue; and how
    many were told at issue (no SMS owed)."""
    leads, at_issue = [], 0
    for o in outcomes:
        if not o.phone or o.called_at is None:
            continue
        if o.near_at_issue:
            at_issue += 1
            continue
        if o.sms_decided_at is None:
            leads.append(None)
        else:
            leads.append(o.called_at - (o.sms_decided_at + phone_delay(o)))
    return leads, at_issue


def _mse(items, attr):
    return statistics.fmean((getattr(o, attr) - o.wait) ** 2 for o in items)


def _mae(items, attr):
    return statistics.fmean(abs(getattr(o, attr) - o.wait) for o in items)


def rows(name: str, outcomes: list[Outcome]) -> list[Row]:
    items = scored(outcomes)
    called = [o for o in outcomes if o.wait is not None]
    if not items:
        return [Row(f"[{name}] tickets scored", 0, "tickets")]
    mse = {a: _mse(items, a) for a in ("estimate", "naive", "les")}
    best_name = min(("naive", "les"), key=mse.get)
    best = mse[best_name]
    band = [o for o in items if BAND[0] <= o.wait <= BAND[1]]
    rel = (100 * sum(abs(o.estimate - o.wait) for o in band) / sum(o.wait for o in band)
           if band else float("nan"))
    rel_best = (100 * sum(abs(getattr(o, best_name) - o.wait) for o in band)
                / sum(o.wait for o in band) if band else None)
    out = [
        Row(f"[{name}] tickets scored (called {len(called)}, no estimate "
            f"{len(called) - len(items)}, 10-60 min {len(band)})", len(items), "tickets"),
        Row(f"[{name}] wait MAE at issue", _mae(items, "estimate"), "min",
            "naive", _mae(items, "naive")),
        Row(f"[{name}] wait MAE, LES baseline", _mae(items, "les"), "min"),
        Row(f"[{name}] wait MSE vs better baseline", mse["estimate"], "min²", best_name, best,
            "<= 0.70x", mse["estimate"] <= 0.70 * best),
        Row(f"[{name}] wait MSE, naive / LES", mse["naive"], "min²", "les", mse["les"]),
        Row(f"[{name}] wait bias (estimate - actual)", statistics.fmean(
            o.estimate - o.wait for o in items), "min"),
        Row(f"[{name}] under-estimated by > {UNDER_BY:.0f} min", 100 * statistics.fmean(
            o.estimate < o.wait - UNDER_BY for o in items), "%", best_name,
            100 * statistics.fmean(getattr(o, best_name) < o.wait - UNDER_BY for o in items)),
        Row(f"[{name}] MAE / actual, waits {BAND[0]:.0f}-{BAND[1]:.0f} min", rel, "%",
            best_name, rel_best, "<= 25%", bool(band) and rel <= 25.0),
    ]
    told_soon = [o for o in called if o.near_at_issue]
    if told_soon:
        # "Stay in the hall, a few minutes": no SMS will come, so a long wait is a broken promise.
        out.append(Row(f"[{name}] told 'soon' at issue ({len(told_soon)}), waited > 20 min",
                       100 * statistics.fmean(o.wait > 20 for o in told_soon), "%"))
    leads, at_issue = sms_leads(outcomes)
    if leads:
        n = len(leads)
        on_time = 100 * sum(x is not None and 8 <= x <= 25 for x in leads) / n
        late = 100 * sum(x is None or x < 5 for x in leads) / n
        out += [
            Row(f"[{name}] SMS 8-25 min before call ({n} SMS owed, {at_issue} near at issue)",
                on_time, "%", "", None, ">= 90%", on_time >= 90.0),
            Row(f"[{name}] SMS late (< 5 min, after call or none)", late, "%", "", None,
                "<= 2%", late <= 2.0),
            Row(f"[{name}] SMS 5-8 min before call", 100 * sum(
                x is not None and 5 <= x < 8 for x in leads) / n, "%"),
            Row(f"[{name}] SMS early (> 25 min before call)", 100 * sum(
                x is not None and x > 25 for x in leads) / n, "%"),
        ]
    return out


def report(by_scenario: dict[str, list[Outcome]]) -> list[Row]:
    out: list[Row] = []
    for name, outcomes in by_scenario.items():
        out += rows(name, outcomes)
    out += rows("overall", [o for outcomes in by_scenario.values() for o in outcomes])
    return out
