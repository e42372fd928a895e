"""The six languages under Xvfb: switched by touch, walked to a ticket, screenshots kept.

Screenshots: tests/artifacts/screenshots/lang-<code>-{home,service,ticket}.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from kiosk.ui.i18n import compile_all, translate
from tests.conftest import demo_data
from tests.ui.conftest import drive, write_config

pytestmark = pytest.mark.ui

CODES = ("fr", "en", "ar", "zh", "wo", "bm")


def run_scenario(display: str, shots: Path, tmp: Path, scenario: str, config: Path, *extra) -> dict:
    """One driver scenario in its own process (as conftest's run_kiosk), for module fixtures."""
    out = tmp / f"{scenario}.json"
    result = drive("tests.ui.driver", scenario, config, out, shots, display, *extra)
    return result


@pytest.fixture(scope="module")
def run_kiosk_module(display, shots, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scenarios")
    return lambda scenario, config, *extra: run_scenario(display, shots, tmp, scenario, config, *extra)


def first_ticketing(pole: str) -> dict:
    services = [s for s in demo_data()["services"] if s["pole"] == pole and s.get("ticketing", True)]
    return sorted(services, key=lambda s: s["order"])[0]


@pytest.fixture(scope="module")
def walked(run_kiosk_module, server, tmp_path_factory):
    compile_all()
    tmp = tmp_path_factory.mktemp("languages")
    pole = sorted(demo_data()["poles"], key=lambda p: p["order"])[0]
    service = first_ticketing(pole["id"])
    config = write_config(tmp / "kiosk.toml", server.url, server.kiosk_token, tmp / "k")
    result = run_kiosk_module("languages", config, "--pole", pole["id"], "--service", service["id"])
    return result, pole, service


def test_every_language_is_walked_to_a_ticket(walked):
    result, _pole, service = walked
    assert list(result["languages"]) == list(CODES)
    for code, entry in result["languages"].items():
        assert entry["ticket_state"] == "ready", (code, entry["message"])
        assert re.fullmatch(rf"{service['prefix']}\d{{3}}", entry["number"]), code
        for screen in ("home", "service", "ticket"):
            with Image.open(f"tests/artifacts/screenshots/lang-{code}-{screen}.png") as img:
                assert img.size == (1280, 800)


def test_texts_come_from_the_catalog_and_the_content_of_that_language(walked):
    result, pole, service = walked
    for code, entry in result["languages"].items():
        assert entry["title"].startswith(translate("welcome", code)), code
        assert entry["take_ticket_text"] == translate("take_ticket", code)
        assert entry["pole_labels"][0] == pole["name"].get(code) or pole["name"]["fr"]
        assert entry["service_title"] == (service["name"].get(code) or service["name"]["fr"])
    titles = {entry["title"] for entry in result["languages"].values()}
    assert len(titles) == len(CODES), "each language has its own welcome"


def test_arabic_is_right_to_left_with_the_layout_mirrored(walked):
    result, _pole, _service = walked
    arabic = result["languages"]["ar"]
    assert arabic["rtl"] is True and arabic["font_direction"] == "rtl"
    assert "Arabic" in arabic["font"] or "arabic" in arabic["font"]
    # Back on the right of the title, home on its left; the other way round in French.
    assert arabic["back_x"] > arabic["title_x"] > arabic["home_x"]
    french = result["languages"]["fr"]
    assert french["back_x"] < french["title_x"] < french["home_x"]


def test_each_language_uses_a_font_that_has_its_letters(walked):
    result, _pole, _service = walked
    fonts = {code: entry["font"] for code, entry in result["languages"].items()}
    assert fonts["zh"].endswith("cjk")
    assert fonts["ar"].endswith("arabic")
    assert fonts["fr"] == fonts["en"] == fonts["wo"] == fonts["bm"]
    assert fonts["fr"].endswith("latin")
