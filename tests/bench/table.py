"""The table `make bench` prints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    target: str = ""  # e.g. "<= 2.0x"; empty when the row is informative only
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def render(rows: list[Row]) -> str:
    head = ("benchmark", "value", "baseline", "ratio", "target", "")
    lines = [head]
    for r in rows:
        base = f"{r.baseline:.2f} {r.unit} ({r.baseline_name})" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        verdict = "" if r.ok is None else ("ok" if r.ok else "MISSED")
        lines.append((r.name, f"{r.value:.2f} {r.unit}", base, ratio, r.target or "-", verdict))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
