"""Text as the kiosk draws it: a font per run of text, and right-to-left lines for Arabic.

Kivy has no font fallback: a Label draws every character with one font, and Noto Naskh
Arabic has no Latin letters ("C042", "PACS" would be boxes). So a text is cut into runs,
each drawn with the first font that has its characters, as Kivy markup `[font=...]` runs.

Arabic is shaped by HarfBuzz: Kivy 2.3's SDL2_ttf is built with it, and a label with
`font_direction="rtl"` and `font_script_name="Arab"` joins the letters. HarfBuzz lays a
run out right to left without any bidi algorithm, so digits and Latin words would come out
backwards. Hence, for a right-to-left language, the kiosk:

1. wraps the text into lines itself (measuring each run with its own font),
2. reorders each wrapped line with python-bidi's `get_display` (per line, never the whole
   paragraph: a paragraph reordered before wrapping puts its end on the first line); the
   pure-Python implementation (`bidi.algorithm`), which also mirrors each bracket resolved
   right to left; the package's default (Rust, 0.6) does not mirror, and brackets came out
   reversed on the kiosk (")PACS(");
3. cuts the visual line into font runs and hands each run to HarfBuzz reversed (so its
   right-to-left layout gives back the visual order); an Arabic run reversed is in logical
   order again, which is what the shaper needs. Every bracket is then mirrored once more,
   since HarfBuzz mirrors every bracket of a right-to-left run: it draws what bidi chose.

No Kivy import here: the widgets (kiosk.ui.widgets.ScriptLabel) pass a measuring function.
"""

from __future__ import annotations

import bisect
import mmap
import re
import struct
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bidi.algorithm import get_display

Measure = Callable[[str, str], float]  # (text, font name) -> width in pixels

_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")
_MARKS = str.maketrans("", "", "\u200e\u200f")


# -- which characters a font has --------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """The code points a font maps to a glyph, as sorted inclusive ranges."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __contains__(self, char: str) -> bool:
        code = ord(char)
        i = bisect.bisect_right(self.starts, code) - 1
        return i >= 0 and code <= self.ends[i]

    @classmethod
    def everything(cls) -> Coverage:
        return cls((0,), (0x10FFFF,))


@lru_cache(maxsize=16)
def font_coverage(path: str | Path) -> Coverage:
    """Read the cmap of a .ttf/.otf (or the first font of a .ttc): formats 4 and 12."""
    # Mapped, not read: a CJK collection is tens of MB and only its cmap is looked at.
    with open(path, "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    base = 0
    if data[:4] == b"ttcf":
        base = struct.unpack_from(">I", data, 12)[0]
    num_tables = struct.unpack_from(">H", data, base + 4)[0]
    cmap = None
    for i in range(num_tables):
        tag, _check, offset, _length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        if tag == b"cmap":
            cmap = offset
    if cmap is None:
        return Coverage.everything()
    count = struct.unpack_from(">H", data, cmap + 2)[0]
    subtables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        fmt = struct.unpack_from(">H", data, cmap + offset)[0]
        subtables[(platform, encoding, fmt)] = cmap + offset
    ranges: list[tuple[int, int]] = []
    table12 = next((o for (p, _e, f), o in subtables.items() if f == 12 and p in (0, 3)), None)
    table4 = next((o for (p, _e, f), o in subtables.items() if f == 4 and p in (0, 3)), None)
    if table12 is not None:
        groups = struct.unpack_from(">I", data, table12 + 12)[0]
        flat = struct.unpack_from(f">{3 * groups}I", data, table12 + 16)  # one call, not one per group
        ranges.extend(zip(flat[0::3], flat[1::3], strict=True))
    elif table4 is not None:
        segments = struct.unpack_from(">H", data, table4 + 6)[0] // 2
        seg_ends = struct.unpack_from(f">{segments}H", data, table4 + 14)
        seg_starts = struct.unpack_from(f">{segments}H", data, table4 + 16 + 2 * segments)
        ranges.extend((s, e) for s, e in zip(seg_starts, seg_ends, strict=True) if s != 0xFFFF)
    else:
        return Coverage.everything()
    if not ranges:
        return Coverage((), ())
    ranges.sort()
    starts: list[int] = []
    ends: list[int] = []
    low, high = ranges[0]
    for start, end in ranges:  # a CJK font has ~15,000 groups: kept to plain comparisons
        if start <= high + 1:
            if end > high:
                high = end
        else:
            starts.append(low)
            ends.append(high)
            low, high = start, end
    starts.append(low)
    ends.append(high)
    return Coverage(tuple(starts), tuple(ends))


# -- runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontChain:
    """A language's font, then the fonts tried for the characters it lacks."""

    fonts: tuple[tuple[str, Coverage], ...]

    def __hash__(self) -> int:
        # The markup caches below key on the chain: hashing every coverage range (a CJK
        # font has thousands) on each look-up would cost what the cache saves. Equal
        # chains have equal names, so the names are a valid hash.
        return hash(tuple(name for name, _coverage in self.fonts))

    @property
    def primary(self) -> str:
        return self.fonts[0][0]

    def font_for(self, char: str) -> str:
        if char.isspace():
            return self.primary
        for name, coverage in self.fonts:
            if char in coverage:
                return name
        return self.primary

    def covers_all(self, text: str) -> bool:
        coverage = self.fonts[0][1]
        return all(c.isspace() or c in coverage for c in text)


def runs(text: str, chain: FontChain) -> list[tuple[str, str]]:
    """(font name, chunk) runs. Spaces, digits and punctuation stay in the run they follow
    when its font has them, so "C042" is drawn in one font, not a Latin C and Arabic digits."""
    coverage = dict(chain.fonts)
    out: list[list[str]] = []
    for char in text:
        if out and (char.isspace() or (not char.isalpha() and char in coverage[out[-1][0]])):
            font = out[-1][0]
        else:
            font = chain.font_for(char)
        if out and out[-1][0] == font:
            out[-1][1] += char
        else:
            out.append([font, char])
    return [(font, chunk) for font, chunk in out]


def escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def markup_runs(pieces: Sequence[tuple[str, str]], primary: str) -> str:
    return "".join(
        escape_markup(chunk) if font == primary else f"[font={font}]{escape_markup(chunk)}[/font]"
        for font, chunk in pieces
    )


# -- wrapping and right-to-left lines ----------------------------------------------------


def measure_runs(text: str, chain: FontChain, measure: Measure) -> float:
    return sum(measure(chunk, font) for font, chunk in runs(text, chain))


def wrap(text: str, width: float | None, measure_line: Callable[[str], float]) -> list[str]:
    """Greedy word wrap of logical text to `width`; explicit newlines kept; long words cut."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if width is None or not paragraph:
            lines.append(paragraph)
            continue
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if measure_line(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while len(line) > 1 and measure_line(line) > width:  # a word wider than the line
                cut = len(line) - 1
                while cut > 1 and measure_line(line[:cut]) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


_RTL_LETTER = re.compile("[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")


def rtl_line_markup(line: str, chain: FontChain, base_dir: str = "R") -> str:
    """One wrapped logical line -> markup that HarfBuzz (direction rtl) draws in visual order."""
    # Marks (RLM/LRM) only steer the reordering: they are not drawn.
    visual = get_display(line, base_dir=base_dir).translate(_MARKS)
    pieces = [(font, chunk[::-1].translate(_MIRROR)) for font, chunk in runs(visual, chain)]
    return markup_runs(pieces, chain.primary)


# The markup of a text is worked out again on every texture update (a colour, a mode, a
# size switched), character by character: the same few hundred texts each time. Bounded.
_CACHE_SIZE = 2048
_wrapped: OrderedDict[tuple, str] = OrderedDict()


def display_markup(
    text: str,
    chain: FontChain,
    *,
    rtl: bool,
    width: float | None = None,
    measure: Measure | None = None,
    measure_key: Hashable = None,
) -> str:
    """The markup a Label shows for `text`: font runs, and for rtl wrapped visual lines.

    `measure_key` names what `measure` depends on besides its arguments (font size, bold...):
    given, right-to-left lines wrapped with `measure` are kept for the next call."""
    if not text:
        return ""
    if not rtl:
        return _ltr_markup(text, chain)  # neither width nor measure: Kivy wraps it
    if measure is None:
        return _rtl_markup(text, chain)  # not wrapped: the width plays no part
    if measure_key is None:
        return _rtl_wrapped(text, chain, width, measure)
    key = (text, chain, width, measure_key)
    shown = _wrapped.get(key)
    if shown is None:
        shown = _wrapped[key] = _rtl_wrapped(text, chain, width, measure)
        if len(_wrapped) > _CACHE_SIZE:
            _wrapped.popitem(last=False)
    else:
        _wrapped.move_to_end(key)
    return shown


@lru_cache(maxsize=_CACHE_SIZE)
def _ltr_markup(text: str, chain: FontChain) -> str:
    if chain.covers_all(text):
        return escape_markup(text)
    return markup_runs(runs(text, chain), chain.primary)


@lru_cache(maxsize=_CACHE_SIZE)
def _rtl_markup(text: str, chain: FontChain) -> str:
    return _rtl_wrapped(text, chain, None, None)


def _rtl_wrapped(text: str, chain: FontChain, width: float | None, measure: Measure | None) -> str:
    measure_line = (lambda s: measure_runs(s, chain, measure)) if measure else (lambda s: 0.0)
    out = []
    for paragraph in text.split("\n"):
        # A paragraph without any right-to-left letter (a French fallback, a number) keeps
        # its left-to-right order: bidi's paragraph level comes from its first strong letter.
        base_dir = "R" if _RTL_LETTER.search(paragraph) else "L"
        for line in wrap(paragraph, width if measure else None, measure_line):
            out.append(rtl_line_markup(line, chain, base_dir))
    return "\n".join(out)
