"""The « guide du routard » parts of the content: a life situation's tips (« bons plans, trucs
et astuces ») and the neighbourhood plan of « Pendant l'attente » (the nearby places as
numbered spots on an illustrated plan). Re-exported by kiosk.domain.content."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from kiosk.domain.content_wire import ContentError, Texts, _texts

if TYPE_CHECKING:  # content.py imports this module: no import back at run time
    from kiosk.domain.content import NearbyPlace

MAX_TIPS = 12  # a memo, not a manual: more would not fit on the kiosk's column
TIP_MAX_CHARS = 280  # per language: one or two sentences, read aloud in a breath
TIP_PICTOGRAM = "astuce"  # assets/pictograms/src/astuce.svg, drawn beside every tip


def parse_tips(value: object) -> tuple[Texts, ...]:
    """A situation's tips: a list of {lang: text} (French required), each short."""
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or len(value) > MAX_TIPS:
        raise ContentError(f"tips must be a list of at most {MAX_TIPS} texts")
    tips = tuple(_texts({"tip": tip}, "tip") for tip in value)
    for tip in tips:
        if any(len(text) > TIP_MAX_CHARS for text in tip.values()):
            raise ContentError(f"a tip is at most {TIP_MAX_CHARS} characters per language")
    return tips


def neighbourhood_spots(places: Iterable[NearbyPlace]) -> tuple[str, list[tuple[int, NearbyPlace]]]:
    """The plan « Pendant l'attente » shows and the places on it, numbered in the agents'
    order from 1: the plan most places name (the first named on a tie); ("", []) when no
    place has a spot. Places without a spot on that plan stay in the list, unnumbered."""
    places = list(places)
    counts = Counter(p.plan for p in places if p.plan)
    if not counts:
        return "", []
    best = max(counts.values())
    plan = next(p.plan for p in places if p.plan and counts[p.plan] == best)
    on_plan = [p for p in places if p.plan == plan]
    return plan, [(index, place) for index, place in enumerate(on_plan, start=1)]
