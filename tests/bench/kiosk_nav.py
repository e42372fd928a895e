"""Scripted navigations in the real kiosk app (run by bench_kiosk under Xvfb).

    python -m tests.bench.kiosk_nav --config kiosk.toml --navigations 5000 --out result.json

Each navigation is a real touch (Kivy's UnitTestTouch through the input pipeline) on a pole
tile, then on "back". "Tap -> new screen drawn" is the time from the touch-up to the first
frame flipped after the screen changed. RSS is read from /proc after 100 navigations and at
the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

TIMED = 200  # navigations whose frames are timed (400 taps)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--navigations", type=int, default=5000)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "maxfps", "0")  # draw as fast as possible: we time frames

    from kiosk.config import load_config
    from kiosk.ui.app import make_app

    app = make_app(load_config(args.config))
    result: dict = {}

    async def drive():
        from kivy.core.window import Window
        from kivy.tests.common import UnitTestTouch

        flips = []
        Window.bind(on_flip=lambda *_: flips.append(time.perf_counter()))

        def widgets(prefix):
            return [w for w in app.root.walk() if getattr(w, "tid", "").startswith(prefix)]

        async def tap_and_time(widget, expect_screen):
            x, y = widget.to_window(*widget.center)
            touch = UnitTestTouch(x, y)
            touch.touch_down()
            touch.touch_up()
            start = time.perf_counter()
            deadline = start + 5
            while True:
                await asyncio.sleep(0)
                if app.root.current == expect_screen and flips and flips[-1] > start:
                    return (flips[-1] - start) * 1000
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"screen {expect_screen} not drawn")

        try:
            while not widgets("pole-"):
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            timings = []
            poles = [w.tid for w in widgets("pole-")]

            started = time.perf_counter()
            for n in range(args.navigations):
                tile = next(w for w in widgets(poles[n % len(poles)]))
                back_expected = "home"
                if n < TIMED:
                    # Timed phase: wait for the frame that shows the new screen.
                    timings.append(await tap_and_time(tile, "pole"))
                    back = next(w for w in widgets("back"))
                    timings.append(await tap_and_time(back, back_expected))
                else:
                    # Memory phase: the same real touches, one frame per screen, not timed.
                    await tap_and_time(tile, "pole")
                    await tap_and_time(next(w for w in widgets("back")), back_expected)
                if n + 1 == 100:
                    result["rss_after_100_mib"] = rss_mib()
                if (n + 1) % 500 == 0:
                    print(f"{n + 1} navigations, {time.perf_counter() - started:.0f} s, "
                          f"RSS {rss_mib():.1f} MiB", flush=True)
            result["rss_end_mib"] = rss_mib()
            result["navigations"] = args.navigations
            result["tap_to_frame_ms"] = timings
            result["ok"] = True
        except BaseException as exc:
            result["ok"] = False
            result["error"] = repr(exc)
        finally:
            app.stop()

    async def both():
        await asyncio.gather(app.async_run(async_lib="asyncio"), drive())

    try:
        asyncio.run(both())
    finally:
        app.store.close()
        args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
