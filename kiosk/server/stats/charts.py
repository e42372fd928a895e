"""Server-side charts: inline SVG bar and line charts, no JavaScript, no plotting library.

Each chart is a <figure>: an <svg role="img"> with a <title> and a <desc>, axis labels, one
<title> per bar or point (a tooltip, read by screen readers), then the same numbers as a
plain table (the accessible alternative, also handy to copy). Every text is escaped here,
so a Chart's __html__() is safe HTML, for the views to mark safe.
This module is pure Python (no Django): the views give it numbers and French labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1a1a1a"
GRID = "#d0d0d0"
# Series colours: blue and brown-orange (distinct for colour-blind readers), both above 4.5:1
# on white; lines also differ by pattern (dashed).
COLORS = ("#1f4e8c", "#a35200", "#1d6b3a")
FONT = 'font-family="inherit" font-size="13"'

Number = int | float


def fr_number(value: Number | None, digits: int = 1) -> str:
    """12.5 -> '12,5'; 3.0 -> '3'; None -> '—' (French decimal comma, no trailing zero)."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}" if digits else f"{round(value)}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",").replace("-", "−")


def nice_ticks(maximum: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round gridline values from 0 up to at least `maximum` (about `count` steps)."""
    if not maximum or maximum <= 0 or math.isnan(maximum):
        maximum = 1
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude
        if step >= raw:
            break
    if integer:
        step = max(1, math.ceil(step))
    steps = math.ceil(maximum / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    svg: str
    table: str

    def __html__(self) -> str:
        return (f'<figure class="chart" id="{_e(self.chart_id)}">'
                f'<figcaption>{_e(self.title)}</figcaption>{self.svg}'
                f"<details><summary>Voir les données en tableau</summary>{self.table}</details>"
                "</figure>")

    def __str__(self) -> str:
        return self.__html__()


def data_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain table: first column = row headers."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + f'<th scope="row">{_e(row[0])}</th>'
        + "".join(f"<td>{_e(cell)}</td>" for cell in row[1:]) + "</tr>"
        for row in rows
    )
    return (f'<table class="chart-data"><caption>{_e(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _open_svg(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="{SVG_NS}" class="chart-svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>',
    ]


def _legend(series_names: Sequence[str], x: float, y: float, dashed: bool) -> list[str]:
    out = ['<g class="legend">']
    for i, name in enumerate(series_names):
        color = COLORS[i % len(COLORS)]
        lx = x + i * 190
        if dashed:
            dash = ' stroke-dasharray="6 4"' if i % 2 else ""
            out.append(f'<line x1="{lx}" y1="{y - 4}" x2="{lx + 24}" y2="{y - 4}" stroke="{color}" '
                       f'stroke-width="3"{dash}/>')
        else:
            out.append(f'<rect x="{lx}" y="{y - 12}" width="16" height="12" fill="{color}"/>')
        out.append(f'<text x="{lx + 30}" y="{y}" {FONT} fill="{INK}">{_e(name)}</text>')
    out.append("</g>")
    return out



def _value_axis(ticks: Sequence[float], x0: float, x1: float, y_of: Callable[[float], float],
                fmt: Callable[[float], str]) -> list[str]:
    out = ['<g class="grid">']
    for t in ticks:
        y = y_of(t)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT} '
                   f'fill="{INK}">{_e(fmt(t))}</text>')
    out.append("</g>")
    return out


def _axis_titles(x_label: str, y_label: str, width: int, height: int, left: int,
                 top: int, plot_h: float) -> list[str]:
    return [
        f'<text class="axis-label" x="{left + (width - left) / 2:.1f}" y="{height - 8}" '
        f'text-anchor="middle" {FONT} fill="{INK}">{_e(x_label)}</text>',
        f'<text class="axis-label" transform="translate(16 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" {FONT} fill="{INK}">{_e(y_label)}</text>',
    ]


def bar_chart(*, chart_id: str, title: str, desc: str, labels: Sequence[str],
              values: Sequence[Number], x_label: str, y_label: str, unit: str = "",
              width: int = 720, height: int = 300, digits: int = 0) -> Chart:
    """Vertical bars, one slot per label; a bar is drawn only where the value is > 0."""
    left, right, top, bottom = 64, 16, 20, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    slot = plot_w / n
    ticks = nice_ticks(max(values, default=0), integer=digits == 0)
    top_value = ticks[-1]

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    def fmt(v: float) -> str:
        return fr_number(v, digits)

    out = _open_svg(chart_id, title, desc, width, height)
    out += _value_axis(ticks, left, width - right, y_of, lambda t: fr_number(t, 1))
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
               f'stroke="{INK}"/>')
    label_step = math.ceil(len(labels) / 16) if labels else 1
    out.append('<g class="bars">')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        cx = left + slot * (i + 0.5)
        if value > 0:
            bw = slot * 0.7
            y = y_of(value)
            suffix = f" {unit}" if unit else ""
            out.append(
                f'<rect class="bar" x="{cx - bw / 2:.1f}" y="{y:.1f}" width="{bw:.1f}" '
                f'height="{top + plot_h - y:.1f}" fill="{COLORS[0]}">'
                f"<title>{_e(label)} : {_e(fmt(value))}{_e(suffix)}</title></rect>"
            )
            if len(labels) <= 24:
                out.append(f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" {FONT} '
                           f'fill="{INK}" aria-hidden="true">{_e(fmt(value))}</text>')
        if i % label_step == 0:
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 18}" text-anchor="middle" {FONT} '
                       f'fill="{INK}">{_e(label)}</text>')
    out.append("</g>")
    out += _axis_titles(x_label, y_label, width, height, left, top, plot_h)
    out.append("</svg>")
    table = data_table(title, [x_label, y_label],
                       [(label, fmt(value)) for label, value in zip(labels, values, strict=True)])
    return Chart(chart_id, title, "".join(out), table)


def hbar_chart(*, chart_id: str, title: str, desc: str, labels: Sequence[str],
               series: Sequence[tuple[str, Sequence[Number | None]]], value_label: str,
               width: int = 720, digits: int = 0) -> Chart:
    """Horizontal bars, one row per label (long service names read well), grouped series."""
    left, right, top, bottom = 190, 56, 40 if len(series) > 1 else 16, 48
    bar_h, gap = 18, 14
    group_h = bar_h * len(series) + gap
    plot_h = group_h * max(len(labels), 1)
    height = top + plot_h + bottom
    plot_w = width - left - right
    maximum = max((v for _, vals in series for v in vals if v is not None), default=0)
    ticks = nice_ticks(maximum, integer=digits == 0)
    top_value = ticks[-1]

    def fmt(v: float | None) -> str:
        return fr_number(v, digits)

    out = _open_svg(chart_id, title, desc, width, height)
    if len(series) > 1:
        out += _legend([name for name, _ in series], left, 20, dashed=False)
    out.append('<g class="grid">')
    for t in ticks:
        x = left + plot_w * t / top_value
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                   f'stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" {FONT} '
                   f'fill="{INK}">{_e(fr_number(t, 1))}</text>')
    out.append("</g>")
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{INK}"/>')
    out.append('<g class="bars">')
    for i, label in enumerate(labels):
        gy = top + i * group_h + gap / 2
        short = label if len(label) <= 26 else label[:25] + "…"
        out.append(f'<text x="{left - 8}" y="{gy + bar_h * len(series) / 2 + 4:.1f}" '
                   f'text-anchor="end" {FONT} fill="{INK}">{_e(short)}</text>')
        for k, (name, values) in enumerate(series):
            value = values[i]
            if value is None or value <= 0:
                continue
            y = gy + k * bar_h
            w = plot_w * value / top_value
            out.append(
                f'<rect class="bar" x="{left}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{COLORS[k % len(COLORS)]}">'
                f"<title>{_e(label)} — {_e(name)} : {_e(fmt(value))}</title></rect>"
            )
            out.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 5:.1f}" {FONT} fill="{INK}" '
                       f'aria-hidden="true">{_e(fmt(value))}</text>')
    out.append("</g>")
    out.append(f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 8}" '
               f'text-anchor="middle" {FONT} fill="{INK}">{_e(value_label)}</text>')
    out.append("</svg>")
    table = data_table(title, ["Service", *[name for name, _ in series]],
                       [(label, *[fmt(vals[i]) for _, vals in series])
                        for i, label in enumerate(labels)])
    return Chart(chart_id, title, "".join(out), table)


def line_chart(*, chart_id: str, title: str, desc: str, labels: Sequence[str],
               series: Sequence[tuple[str, Sequence[Number | None]]], x_label: str,
               y_label: str, width: int = 720, height: int = 320, digits: int = 1) -> Chart:
    """Lines over evenly spaced labels; a None value breaks its line (a day without data)."""
    left, right, top, bottom = 64, 16, 40, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    slot = plot_w / n
    maximum = max((v for _, vals in series for v in vals if v is not None), default=0)
    ticks = nice_ticks(maximum)
    top_value = ticks[-1]

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    def fmt(v: float | None) -> str:
        return fr_number(v, digits)

    out = _open_svg(chart_id, title, desc, width, height)
    out += _legend([name for name, _ in series], left, 20, dashed=True)
    out += _value_axis(ticks, left, width - right, y_of, lambda t: fr_number(t, 1))
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
               f'stroke="{INK}"/>')
    label_step = math.ceil(len(labels) / 12) if labels else 1
    for i, label in enumerate(labels):
        if i % label_step == 0:
            out.append(f'<text x="{left + slot * (i + 0.5):.1f}" y="{top + plot_h + 18}" '
                       f'text-anchor="middle" {FONT} fill="{INK}">{_e(label)}</text>')
    for k, (name, values) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        dash = ' stroke-dasharray="6 4"' if k % 2 else ""
        out.append(f'<g class="series" data-series="{_e(name)}">')
        segment: list[str] = []
        points = []
        for i, value in enumerate([*values, None]):
            if value is None:
                if len(segment) > 1:
                    out.append(f'<polyline class="line" points="{" ".join(segment)}" fill="none" '
                               f'stroke="{color}" stroke-width="3"{dash}/>')
                segment = []
                continue
            x, y = left + slot * (i + 0.5), y_of(value)
            segment.append(f"{x:.1f},{y:.1f}")
            points.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">'
                f"<title>{_e(labels[i])} — {_e(name)} : {_e(fmt(value))}</title></circle>"
            )
        out += points
        out.append("</g>")
    out += _axis_titles(x_label, y_label, width, height, left, top, plot_h)
    out.append("</svg>")
    table = data_table(title, [x_label, *[name for name, _ in series]],
                       [(label, *[fmt(vals[i]) for _, vals in series])
                        for i, label in enumerate(labels)])
    return Chart(chart_id, title, "".join(out), table)
