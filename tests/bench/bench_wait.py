"""Wait estimates and "near" SMS, measured through the server (``make bench``).

Simulated days (kiosk.domain.simulation, scenarios in kiosk.domain.sim_scenarios) are
replayed through the real queueing code by tests/bench/wait_server.py, in child processes
(two at a time: Django and the patched clock stay out of this process), each with its own
throw-away SQLite database. Each scenario's site learns from its own history: the first
WARMUP days are not scored. Rows and targets: tests/bench/wait_score.py.

    .venv/bin/python -m tests.bench wait             # the bench of record (~5 min)
    .venv/bin/python -m tests.bench.bench_wait --domain   # the pure replay, seconds

``BENCH_WAIT_DAYS`` (default 5) sets the days per scenario ("single" gets twice as many:
its days are short).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kiosk.domain.sim_replay import Outcome, replay
from kiosk.domain.sim_scenarios import SCENARIOS, scenario
from tests.bench.table import Row
from tests.bench.wait_score import report

ROOT = Path(__file__).resolve().parents[2]
DAYS = int(os.environ.get("BENCH_WAIT_DAYS", "5"))
WARMUP = 2
# Two child processes with about the same work each (the "single" days are short).
GROUPS = (("shared", "lunch", "single"), ("late", "early"))


def _days(name: str) -> int:
    return 2 * DAYS if name == "single" else DAYS


def _child(names: tuple[str, ...]) -> dict:
    args = [sys.executable, "-m", "tests.bench.wait_server",
            *(f"{n}:{_days(n)}" for n in names), "--warmup", str(WARMUP)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wait_server {names} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def server_outcomes() -> tuple[dict[str, list[Outcome]], dict]:
    with ThreadPoolExecutor(len(GROUPS)) as pool:
        results = list(pool.map(_child, GROUPS))
    by_scenario: dict[str, list[Outcome]] = {n: [] for n in SCENARIOS}
    stats: dict = {}
    for result in results:
        stats.update(result["stats"])
        for raw in result["outcomes"]:
            by_scenario[raw["scenario"]].append(Outcome(**raw))
    return by_scenario, stats


def run() -> list[Row]:
    started = time.perf_counter()
    by_scenario, stats = server_outcomes()
    rows = report(by_scenario)
    mismatches = sum(s["mismatches"] for s in stats.values())
    rows += [
        Row(f"wait bench: days per scenario (first {WARMUP} not scored), "
            f"single {_days('single')}", DAYS, "days"),
        Row("wait bench: tickets issued through the server",
            sum(s["tickets"] for s in stats.values()), "tickets"),
        Row("wait bench: SMS rows near / called", sum(s["sms_near"] for s in stats.values()),
            "SMS", "called", sum(s["sms_called"] for s in stats.values())),
        Row("wait bench: calls where the server chose another ticket than the world",
            mismatches, "calls", "", None, "= 0", mismatches == 0),
        Row("wait bench: wall time", time.perf_counter() - started, "s"),
    ]
    return rows


def run_domain(days: int = 2 * DAYS) -> list[Row]:
    """The pure replay (no server): the estimator fed from the world directly."""
    return report({n: [o for o in replay(scenario(n), range(1000, 1000 + days))
                       if o.day >= WARMUP] for n in SCENARIOS})


if __name__ == "__main__":
    from tests.bench.table import render

    print(render(run_domain() if "--domain" in sys.argv else run()))
