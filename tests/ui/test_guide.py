"""The guide du routard on the kiosk, under Xvfb with real touches against the real demo
server: a life situation shows its tips (pictogram, words, read aloud) under its services,
and « Pendant l'attente » shows the neighbourhood plan with the places as numbered spots and
the numbered list beside it; in French, in Arabic (right to left) and in large text.
Screenshots: tests/artifacts/screenshots/guide-{situation,waitinfo}-{fr,ar,large-text-fr}.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.domain.content import parse_item
from kiosk.domain.languages import localized
from kiosk.ui import i18n
from tests.conftest import demo_data
from tests.ui.conftest import drive
from tests.ui.test_flows import write_flow_config

pytestmark = pytest.mark.ui

SITUATION = "travaux-habitat"
MODE = "large-text"
CODES = ("fr", "en", "ar", "zh", "wo", "bm")


def run_guide(display, shots, config: Path, out: Path) -> dict:
    result = drive("tests.ui.guide_driver", "guide", config, out, shots, display,
                   "--param", f"situation={SITUATION}", "--param", "langs=fr,ar",
                   "--param", f"mode={MODE}", "--param", "check=" + ",".join(CODES))
    return result


def inside(inner, outer, slack=1.0) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox - slack <= x and oy - slack <= y and x + w <= ox + ow + slack and y + h <= oy + oh + slack


def overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.fixture(scope="module")
def guide(display, shots, server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guide")
    config = write_flow_config(tmp / "kiosk.toml", server.url, server.kiosk_token, tmp / "k")
    return run_guide(display, shots, config, tmp / "out.json")


def test_a_situation_shows_its_tips_with_a_pictogram_read_aloud(guide):
    data = parse_item("situation", next(s for s in demo_data()["situations"] if s["id"] == SITUATION))
    for lang in ("fr", "ar", MODE):
        shown = guide[f"situation:{lang}"]
        words = "fr" if lang == MODE else lang
        assert shown["tips"] == [localized(t, words) for t in data.tips], lang
        assert shown["tip_tids"] == [f"tip-{n}" for n in range(len(data.tips))]
        assert all(img.endswith("/astuce.png") for img in shown["tip_images"]), shown["tip_images"]
        assert shown["tips_title_opacity"] == 1
        title = i18n.read_po(i18n.po_path(words))["situation_tips"]
        assert title + " : " + "; ".join(shown["tips"]) in shown["speech"]
        boxes = shown["tip_boxes"]
        column = shown["right_box"]
        assert inside(boxes[-1], column, slack=2), lang  # scrolled to the end: the last tip shows
        for index, box in enumerate(boxes):
            assert column[0] - 1 <= box[0] and box[0] + box[2] <= column[0] + column[2] + 1, lang
            assert shown["tip_text_heights"][index] <= box[3], (lang, index)  # not cut
            assert not any(overlap(box, other) for other in boxes[index + 1:]), (lang, index)
        pictogram_first = [img < text for img, text in shown["tip_image_x"]]
        assert all(pictogram_first) if lang != "ar" else not any(pictogram_first), lang
    # Right to left, the columns swap: the services and tips on the left.
    assert guide["situation:ar"]["right_box"][0] < guide["situation:ar"]["left_box"][0]
    assert guide["situation:fr"]["right_box"][0] > guide["situation:fr"]["left_box"][0]


def test_wait_info_shows_the_places_numbered_on_the_neighbourhood_plan(guide):
    places = sorted((parse_item("place", p) for p in demo_data()["places"]),
                    key=lambda p: (p.order, p.walking_minutes, p.id))
    mairie = next(h for h in next(p for p in demo_data()["plans"] if p["id"] == "quartier")["hotspots"]
                  if h["id"] == "mairie")
    for key in ("fr", "ar", MODE):
        shown = guide[f"wait_info:{key}"]
        assert shown["source"].endswith(".png")
        x0, y0, width, height = shown["image_rect"]
        assert width > 400 and height > 250, shown["image_rect"]  # a plan one can read
        # Each place's badge sits on its spot (x from the left, y from the top of the image).
        badges = {b["text"]: b for b in shown["badges"]}
        assert sorted(badges, key=int) == [str(n) for n in range(1, len(places) + 1)]
        for number, place in enumerate(places, start=1):
            cx, cy = badges[str(number)]["center"]
            assert abs((cx - x0) / width - place.plan_x) < 0.01, (key, place.id)
            assert abs((y0 + height - cy) / height - place.plan_y) < 0.01, (key, place.id)
        # The list beside it: the same numbers, in the same order, with walking times.
        assert [(r["tid"], r["number"]) for r in shown["rows"]] == [
            (f"place-{p.id}", str(n)) for n, p in enumerate(places, start=1)]
        for row in shown["rows"]:
            assert row["detail"] and all(h <= b + 1 for h, b in zip(row["label_heights"],
                                                                     row["label_boxes"], strict=True))
        # « Vous êtes ici » at the mairie, pulsing; its label on the plan.
        assert shown["here"] == [mairie["x"], mairie["y"]] and shown["pulsing"]
        assert [m["hid"] for m in shown["markers"]] == ["mairie"]
        assert not overlap(shown["plan_box"], shown["list_box"])
        assert shown["plan_alt"] and shown["plan_alt"] in shown["speech"]
        assert all(f"{r['number']} {r['label']}" in shown["speech"] for r in shown["rows"])
    fr, ar = guide["wait_info:fr"], guide["wait_info:ar"]
    assert fr["plan_box"][0] < fr["list_box"][0] and ar["plan_box"][0] > ar["list_box"][0]
    assert ar["markers"][0]["text"] == "أنت هنا" and fr["markers"][0]["text"] == "Vous êtes ici"


def test_the_screenshots_are_kept(guide, shots):
    for name in ("situation-fr", "situation-ar", f"situation-{MODE}-fr", "waitinfo-fr",
                 "waitinfo-ar", f"waitinfo-{MODE}-fr"):
        assert (shots / f"guide-{name}.png").stat().st_size > 10_000, name


def test_no_cut_text_nor_overlapping_targets_in_any_language(guide):
    """The matrix's layout check (tests/ui/layout_check.py) on both screens, in the six
    languages and in large text."""
    found = {key: value for key, value in guide.items() if key.startswith("problems:") and value}
    checked = [k for k in guide if k.startswith("problems:")]
    assert len(checked) == 2 * (len(CODES) + 1)
    assert found == {}
