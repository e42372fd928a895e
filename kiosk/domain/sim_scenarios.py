"""The simulated sites the wait bench replays (``kiosk.domain.simulation``).

Each scenario stresses one thing a naive formula gets wrong: one counter, counters shared by
several services, a lunch closure, agents opening late and a late (Thursday) evening, a
counter closing early. ``scenario(name, site_seed)`` draws the true service means (the
configured ones are guesses, off by 0.8-1.3x) and the agents' speeds.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

from kiosk.domain.simulation import CounterSpec, Scenario, ServiceSpec


def _h(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _arrivals(*steps: tuple[str, float]) -> tuple[tuple[float, float], ...]:
    return tuple((_h(at), rate) for at, rate in steps)


# code, name, configured mean, gamma shape, quick-exit share, tail share, share of arrivals
_SERVICES = {
    "C": ("Citoyenneté & état civil", 10.0, 3.0, 0.12, 0.05),
    "F": ("Famille & social", 16.0, 2.5, 0.08, 0.07),
    "L": ("Logement", 20.0, 2.0, 0.10, 0.08),
    "Q": ("Vie du quartier", 6.0, 4.0, 0.15, 0.03),
}

# Peaks at opening and after lunch (the "after lunch" one at the afternoon's opening).
_DAY = _arrivals(("08:30", 1.7), ("09:30", 1.25), ("10:30", 1.0), ("11:30", 0.75),
                 ("12:00", 0.45), ("13:30", 1.45), ("14:30", 1.0), ("15:30", 0.65),
                 ("16:15", 0.4))


def _scaled(profile: Iterable[tuple[float, float]],
            per_hour: float) -> tuple[tuple[float, float], ...]:
    return tuple((at, round(rate * per_hour, 2)) for at, rate in profile)


def _services(rng: random.Random, shares: dict[str, float]) -> tuple[ServiceSpec, ...]:
    out = []
    for code, share in shares.items():
        name, mean, shape, quick, tail = _SERVICES[code]
        out.append(ServiceSpec(code, name, mean, round(mean * rng.uniform(0.8, 1.3), 2), share,
                               shape=shape, quick=quick, tail=tail))
    return tuple(out)


def _counters(rng: random.Random,
              plan: Iterable[tuple[str, str, Sequence[str]]]) -> tuple[CounterSpec, ...]:
    return tuple(
        CounterSpec(cid, tuple(sorted(served)), round(rng.uniform(0.85, 1.2), 3),
                    tuple((_h(a), _h(b)) for a, b in (s.split("-") for s in sessions)))
        for cid, served, sessions in plan)


def scenario(name: str, site_seed: int = 0) -> Scenario:
    rng = random.Random(f"{name}-site-{site_seed}")
    if name == "single":
        # A small annexe: one agent, one service, no lunch closure.
        services = _services(rng, {"C": 1.0})
        counters = _counters(rng, [("G1", "C", ["08:30-16:30"])])
        return Scenario(name, services, counters, _scaled(_DAY, 3.6), _h("16:15"))
    if name == "shared":
        # Counters serving several services each, all day.
        services = _services(rng, {"C": 0.38, "F": 0.22, "L": 0.12, "Q": 0.28})
        counters = _counters(rng, [
            ("G1", "CQ", ["08:30-17:00"]), ("G2", "CF", ["08:30-17:00"]),
            ("G3", "FL", ["08:30-17:00"]), ("G4", "CLQ", ["09:00-17:00"]),
        ])
        return Scenario(name, services, counters, _scaled(_DAY, 17.0), _h("16:45"))
    if name == "lunch":
        # Staggered lunch breaks; Logement has no counter from 12:00 to 13:30.
        services = _services(rng, {"C": 0.45, "F": 0.3, "L": 0.25})
        counters = _counters(rng, [
            ("G1", "C", ["08:30-12:00", "13:30-17:00"]),
            ("G2", "CF", ["08:30-12:30", "14:00-17:00"]),
            ("G3", "FL", ["08:30-12:00", "13:30-17:00"]),
            ("G4", "CL", ["09:00-12:00", "13:30-17:00"]),
        ])
        return Scenario(name, services, counters, _scaled(_DAY, 11.5), _h("16:45"))
    if name == "late":
        # Thursday: agents often late in the morning, a late opening until 19:30.
        services = _services(rng, {"C": 0.55, "Q": 0.45})
        counters = _counters(rng, [
            ("G1", "CQ", ["08:30-12:00", "13:30-19:30"]),
            ("G2", "C", ["08:30-12:00", "13:30-19:30"]),
            ("G3", "CQ", ["08:30-12:30", "14:00-17:00"]),
        ])
        evening = _DAY[:-1] + _arrivals(("16:30", 0.8), ("17:30", 1.3), ("18:30", 0.6))
        return Scenario(name, services, counters, _scaled(evening, 14.0), _h("19:00"),
                        late=(0.0, 8.0), very_late=0.35)
    if name == "early":
        # One counter closes for today 1-2.5 h early most days; pauses are more frequent.
        services = _services(rng, {"C": 0.5, "F": 0.25, "Q": 0.25})
        counters = _counters(rng, [
            ("G1", "CQ", ["08:30-17:00"]), ("G2", "CF", ["08:30-17:00"]),
            ("G3", "CF", ["08:30-17:00"]), ("G4", "FQ", ["09:00-17:00"]),
        ])
        return Scenario(name, services, counters, _scaled(_DAY, 16.0), _h("16:45"),
                        pause_rate=0.6, early_close=0.8)
    raise ValueError(f"unknown scenario {name!r}")


SCENARIOS = ("single", "shared", "lunch", "late", "early")


def hours_json(counter: CounterSpec,
               days: Iterable[int] = (0, 1, 2, 3, 4)) -> list[dict[str, Any]]:
    """The counter's planned timetable in the wire format of a service's hours."""
    def fmt(m: float) -> str:
        return f"{int(m // 60):02d}:{int(m % 60):02d}"
    return [{"days": list(days), "open": fmt(a), "close": fmt(b)} for a, b in counter.sessions]
