"""The pool of sessions sharing a service's work (kiosk/domain/estimation.py, _Pool): its
size at a time, by bisection, is the count a scan of the sessions gives, edge cases
included (a session ending when another starts, one that ends before it starts, no end)."""

from __future__ import annotations

import random

from kiosk.domain.estimation import _Pool


def scan(spans, at):
    return max(sum(1 for start, end in spans if start <= at and (end is None or at < end)), 1)


def test_the_size_at_every_time_is_the_scans_count():
    rnd = random.Random(7)
    for _ in range(300):
        spans = []
        for _ in range(rnd.randint(0, 12)):
            start = rnd.choice([600.0, 610.0, 630.0, rnd.uniform(500, 800)])
            end = rnd.choice([None, start, start - 5.0, 630.0, start + rnd.uniform(0, 200)])
            spans.append((start, end))
        pool = _Pool(spans)
        times = {s for s, _ in spans} | {e for _, e in spans if e is not None}
        times |= {rnd.uniform(450, 900) for _ in range(20)}
        for at in sorted(times | {t - 1e-9 for t in times} | {t + 1e-9 for t in times}):
            assert pool.size(at) == scan(spans, at), (spans, at)


def test_edges():
    pool = _Pool([(600.0, 630.0), (630.0, None), (640.0, 640.0), (700.0, 650.0)])
    assert [pool.size(t) for t in (599.0, 600.0, 629.9, 630.0, 640.0, 660.0, 700.0)] == \
        [1, 1, 1, 1, 1, 1, 1]
    two = _Pool([(600.0, 630.0), (610.0, None)])
    assert [two.size(t) for t in (600.0, 610.0, 629.9, 630.0)] == [1, 2, 2, 1]
