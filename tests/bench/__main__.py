"""`make bench`: run every benchmark and print one table."""

from __future__ import annotations

import importlib
import sys
import time

from tests.bench.table import render

MODULES = ["tests.bench.bench_api", "tests.bench.bench_kiosk", "tests.bench.bench_wait"]


def main() -> int:
    rows = []
    for name in MODULES:
        started = time.perf_counter()
        print(f"running {name}…", file=sys.stderr, flush=True)
        module = importlib.import_module(name)
        rows += module.run()
        print(f"  {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
