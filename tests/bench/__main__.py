"""`make bench`: run every benchmark and print one table."""

from __future__ import annotations

import importlib
import sys
import time

from tests.bench.table import render

MODULES = ["tests.bench.bench_api", "tests.bench.bench_kiosk", "tests.bench.bench_wait",
           "tests.bench.bench_push",
           "tests.bench.bench_load"]  # PostgreSQL + gunicorn under load, ~2 min


def main() -> int:
    rows = []
    # `python -m tests.bench push wait`: only those benches (by the name after "bench_").
    wanted = set(sys.argv[1:])
    for name in MODULES:
        if wanted and name.rsplit("bench_", 1)[-1] not in wanted:
            continue
        started = time.perf_counter()
        print(f"running {name}…", file=sys.stderr, flush=True)
        module = importlib.import_module(name)
        rows += module.run()
        print(f"  {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
