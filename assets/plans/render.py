#!/usr/bin/env python3
"""Render the floor plans (src/*.svg, 1600x1000 viewBox) to PNG (build/<slug>.png).

Same rules as assets/pictograms/render.py: standard library only, `rsvg-convert` (Debian
package librsvg2-bin) does the drawing, up-to-date PNGs are skipped, each PNG goes through a
temporary file and an atomic rename. A service's spot (`plan_x`, `plan_y` in 0..1 from the
top-left corner) is drawn by the kiosk on top of the PNG, so the PNG keeps the SVG's
aspect ratio exactly.

    python assets/plans/render.py           render what is missing or stale
    python assets/plans/render.py --force   render everything again
    python assets/plans/render.py --check   render nothing; exit 1 if a PNG is missing or stale
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
BUILD = HERE / "build"
WIDTH = 1600  # px; the height follows the 1600x1000 viewBox (1000 px)


def stale(svg: Path, build: Path) -> bool:
    """True when the PNG of `svg` is missing or older than the SVG."""
    png = build / f"{svg.stem}.png"
    try:
        return png.stat().st_mtime < svg.stat().st_mtime
    except FileNotFoundError:
        return True


def render(rsvg: str, svg: Path, build: Path, width: int = WIDTH) -> None:
    """Render one SVG to build/<slug>.png through a temporary file and an atomic rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{svg.stem}.", suffix=".png", dir=build)
    os.close(fd)
    try:
        result = subprocess.run(
            [rsvg, "--width", str(width), "--keep-aspect-ratio", "--format", "png",
             "--output", tmp, str(svg)],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0 or os.path.getsize(tmp) == 0:
            detail = result.stderr.strip() or f"exit status {result.returncode}"
            raise RuntimeError(f"{svg.name}: {detail}")
        os.replace(tmp, build / f"{svg.stem}.png")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render floor plans src/*.svg to build/*.png.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="render nothing; exit 1 listing the SVGs whose PNG is missing or stale")
    mode.add_argument("--force", action="store_true", help="render every SVG again")
    parser.add_argument("--src", type=Path, default=SRC, help=argparse.SUPPRESS)
    parser.add_argument("--build", type=Path, default=BUILD, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    sources = sorted(args.src.glob("*.svg"))
    if not sources:
        print(f"plans: no SVG found in {args.src}", file=sys.stderr)
        return 1
    todo = sources if args.force else [s for s in sources if stale(s, args.build)]

    if args.check:
        for svg in todo:
            print(f"stale or missing: {svg.relative_to(args.src.parent)}")
        print(f"plans: {len(sources)} sources, {len(todo)} to render")
        return 1 if todo else 0

    if not todo:
        print(f"plans: {len(sources)} up to date in {args.build}")
        return 0
    rsvg = shutil.which("rsvg-convert")
    if rsvg is None:
        print("plans: rsvg-convert not found; install the Debian package librsvg2-bin "
              "(apt-get install librsvg2-bin)", file=sys.stderr)
        return 2
    args.build.mkdir(parents=True, exist_ok=True)
    failed = []
    for svg in todo:
        try:
            render(rsvg, svg, args.build)
        except (RuntimeError, OSError) as exc:
            failed.append(svg.name)
            print(f"plans: failed: {exc}", file=sys.stderr)
    done = len(todo) - len(failed)
    print(f"plans: {done} rendered, {len(sources) - len(todo)} up to date, "
          f"{len(failed)} failed ({WIDTH}px wide, {args.build})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
