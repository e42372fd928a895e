"""Where a suite's CPU goes: a pytest plugin (`-p tests.support.cpu`) that writes, for each
test, the CPU seconds (user + sys) its setup, call and teardown took in the pytest process
and in the processes it waited for meanwhile (kiosks, servers, browsers: counted when
reaped, so a module's server counts at the module's last teardown). make test runs every
suite with it and prints the costliest modules (deploy/dev/run-tests.sh): the whole run is
bound by the 2 cores' CPU, not by any suite's wall time.

    CPU_REPORT=path.json  where to write {nodeid: seconds, "(session)": seconds}
"""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import pytest


def _cpu() -> float:
    me, children = (resource.getrusage(who) for who in
                    (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


_SPENT: dict[str, float] = {}
_START = _cpu()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = _cpu()
    yield
    _SPENT[item.nodeid] = _SPENT.get(item.nodeid, 0.0) + _cpu() - before


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    path = os.environ.get("CPU_REPORT")
    if not path:
        return
    # Collection, session fixtures (Xvfb, the first server's template) and the interpreter.
    _SPENT["(session)"] = max(0.0, _cpu() - _START - sum(_SPENT.values()))
    Path(path).write_text(json.dumps({k: round(v, 3) for k, v in _SPENT.items()}),
                          encoding="utf-8")


def costliest(reports: list[Path], top: int = 15) -> list[tuple[str, float]]:
    """The modules (and the sessions' own share) that took the most CPU over these reports."""
    modules: dict[str, float] = {}
    for report in reports:
        if not report.exists():
            continue
        for nodeid, seconds in json.loads(report.read_text(encoding="utf-8")).items():
            key = nodeid.split("::")[0]
            if key == "(session)":
                key = f"(session: {report.stem.removesuffix('.cpu')})"
            modules[key] = modules.get(key, 0.0) + seconds
    return sorted(modules.items(), key=lambda kv: -kv[1])[:top]


if __name__ == "__main__":
    import sys

    rows = costliest([Path(p) for p in sys.argv[1:]])
    width = max((len(name) for name, _ in rows), default=10)
    print(f"{'module':<{width}} {'CPU s':>8}")
    for name, seconds in rows:
        print(f"{name:<{width}} {seconds:>8.1f}")
