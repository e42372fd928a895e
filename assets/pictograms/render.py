#!/usr/bin/env python3
"""Render the pictogram sources (src/*.svg) to PNG (build/<slug>.png, 256x256).

Standard library only; the rendering itself is done by `rsvg-convert` (Debian package
librsvg2-bin). Up-to-date PNGs (newer than their SVG) are skipped, so running it again is
cheap; each PNG is written to a temporary file first and moved into place atomically.

    python assets/pictograms/render.py           render what is missing or stale
    python assets/pictograms/render.py --force   render everything again
    python assets/pictograms/render.py --check   render nothing; exit 1 if a PNG is missing or stale
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
SIZE = 256


def stale(svg: Path, build: Path) -> bool:
    """True when the PNG of `svg` is missing or older than the SVG."""
    png = build / f"{svg.stem}.png"
    try:
        return png.stat().st_mtime < svg.stat().st_mtime
    except FileNotFoundError:
        return True


def render(rsvg: str, svg: Path, build: Path, size: int = SIZE) -> None:
    """Render one SVG to build/<slug>.png through a temporary file and an atomic rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{svg.stem}.", suffix=".png", dir=build)
    os.close(fd)
    try:
        result = subprocess.run(
            [rsvg, "--width", str(size), "--height", str(size), "--keep-aspect-ratio",
             "--format", "png", "--output", tmp, str(svg)],
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
    parser = argparse.ArgumentParser(description="Render pictograms src/*.svg to build/*.png.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="render nothing; exit 1 listing the SVGs whose PNG is missing or stale")
    mode.add_argument("--force", action="store_true", help="render every SVG again")
    parser.add_argument("--src", type=Path, default=SRC, help=argparse.SUPPRESS)
    parser.add_argument("--build", type=Path, default=BUILD, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    sources = sorted(args.src.glob("*.svg"))
    if not sources:
        print(f"pictograms: no SVG found in {args.src}", file=sys.stderr)
        return 1
    todo = sources if args.force else [s for s in sources if stale(s, args.build)]

    if args.check:
        for svg in todo:
            print(f"stale or missing: {svg.relative_to(args.src.parent)}")
        print(f"pictograms: {len(sources)} sources, {len(todo)} to render")
        return 1 if todo else 0

    if not todo:
        print(f"pictograms: {len(sources)} up to date in {args.build}")
        return 0
    rsvg = shutil.which("rsvg-convert")
    if rsvg is None:
        print("pictograms: rsvg-convert not found; install the Debian package librsvg2-bin "
              "(apt-get install librsvg2-bin)", file=sys.stderr)
        return 2
    args.build.mkdir(parents=True, exist_ok=True)
    failed = []
    for svg in todo:
        try:
            render(rsvg, svg, args.build)
        except (RuntimeError, OSError) as exc:
            failed.append(svg.name)
            print(f"pictograms: failed: {exc}", file=sys.stderr)
    done = len(todo) - len(failed)
    print(f"pictograms: {done} rendered, {len(sources) - len(todo)} up to date, "
          f"{len(failed)} failed ({SIZE}px, {args.build})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
