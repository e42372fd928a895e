"""Accessibility: contrast of every palette, touch target sizes, large text, high contrast,
lower reach and their reset, on the real kiosk under Xvfb.

Screenshots: tests/artifacts/screenshots/a11y-{large,contrast,lower}-{home,service,ticket}.png.
"""

from __future__ import annotations

import pytest
from PIL import Image

from kiosk.ui import theme
from kiosk.ui.i18n import compile_all, translate
from tests.conftest import demo_data
from tests.ui.conftest import write_config
from tests.ui.test_languages import first_ticketing, run_kiosk_module  # noqa: F401  (fixture)

pytestmark = pytest.mark.ui

WCAG_AA = 4.5
DPI = 160.0  # a dense panel, so that 9 mm (57 px) is stricter than 44 px


def test_every_text_colour_of_every_mode_reaches_4_5_to_1():
    poles = [p["color"] for p in demo_data()["poles"]]
    for mode, palette in theme.PALETTES.items():
        for text, background in theme.TEXT_PAIRS:
            backgrounds = [palette[background]] if palette[background] else poles
            for colour in backgrounds:
                ratio = theme.contrast_ratio(palette[text], colour)
                assert ratio >= WCAG_AA, f"{mode}: {text} on {background} {colour} = {ratio:.2f}"


def test_white_text_on_every_pole_colour_of_the_demo_content():
    for pole in demo_data()["poles"]:
        ratio = theme.contrast_ratio("#FFFFFF", pole["color"])
        assert ratio >= WCAG_AA, f"{pole['id']} {pole['color']}: {ratio:.2f}"
        # and the header buttons: pole colour on white (the same pair, checked both ways)
        assert theme.contrast_ratio(pole["color"], theme.PALETTES["normal"]["secondary"]) >= WCAG_AA


def test_high_contrast_is_black_white_and_yellow():
    colours = {v.upper() for v in theme.PALETTES["contrast"].values() if v}
    assert colours <= {"#000000", "#FFFFFF", "#FFFF00"}


def test_contrast_ratio_matches_wcag_reference_values():
    assert theme.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert theme.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_minimum_target_is_44_px_and_9_mm():
    assert theme.min_target_px(96) == 44
    assert theme.min_target_px(160) == pytest.approx(9 * 160 / 25.4)


@pytest.fixture(scope="module")
def walked(run_kiosk_module, server, tmp_path_factory):  # noqa: F811
    compile_all()
    tmp = tmp_path_factory.mktemp("a11y")
    pole = sorted(demo_data()["poles"], key=lambda p: p["order"])[0]
    service = first_ticketing(pole["id"])
    config = write_config(tmp / "kiosk.toml", server.url, server.kiosk_token, tmp / "k")
    config.write_text(config.read_text(encoding="utf-8") + f"screen_dpi = {DPI}\n", encoding="utf-8")
    return run_kiosk_module("accessibility", config, "--pole", pole["id"], "--service", service["id"])


def test_every_touch_target_on_every_screen_is_44_px_and_9_mm(walked):
    minimum = theme.min_target_px(DPI)
    assert walked["min_target"] == pytest.approx(minimum)
    targets = walked["targets"]
    screens = {t["screen"] for t in targets}
    assert {"home", "pole", "service", "ticket"} <= screens, screens
    small = [t for t in targets if min(t["width"], t["height"]) < minimum - 0.5]
    assert not small, f"targets under {minimum:.0f} px: {small}"


def test_large_text_scales_the_text_by_1_3(walked):
    before, after = walked["title_size"]
    assert after == pytest.approx(before * 1.3)


def test_high_contrast_paints_the_screens_black_and_yellow(walked):
    assert walked["contrast_palette"]["background"][:3] == [0, 0, 0]
    for name in ("a11y-contrast-home", "a11y-contrast-service"):
        with Image.open(f"tests/artifacts/screenshots/{name}.png") as img:
            rgb = img.convert("RGB")
            colours = {colour for _count, colour in rgb.getcolors(1 << 20)}
            black = sum(c for c, colour in rgb.getcolors(1 << 20) if colour == (0, 0, 0))
            assert black > img.width * img.height * 0.3, name
            assert (255, 255, 0) in colours, name


def test_lower_reach_puts_every_target_in_the_lower_two_thirds(walked):
    limit = walked["window_height"] * 2 / 3
    lower = walked["lower_targets"]
    assert {"home", "pole", "service", "ticket"} <= {t["screen"] for t in lower}
    high = [t for t in lower if t["top"] > limit + 1]
    assert not high, f"targets above the lower 2/3 ({limit:.0f} px): {high}"


def test_the_idle_reset_turns_the_modes_off_and_french_back(walked):
    assert walked["before_reset"] == ["ar", True, True, True]
    assert walked["after_reset"] == ["fr", False, False, False]
    assert walked["title_after_reset"].startswith(translate("welcome", "fr"))
