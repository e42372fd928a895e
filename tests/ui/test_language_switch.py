"""After an Arabic visitor, the next visitor's screens are as if nobody had come: every
screen of the layout matrix, French → Arabic → French, pixel for pixel (real Kivy under
Xvfb, tests/ui/language_switch_driver.py). It failed on the priority question and the
centred texts, kept to one side once the direction had changed, and on the neighbourhood
plan's numbered badges, left where the plan's previous size had put them."""

from __future__ import annotations

import pytest

from tests.ui.conftest import drive
from tests.ui.matrix_driver import LANGUAGES
from tests.ui.test_flows import write_flow_config
from tests.ui.test_layout_matrix import SCREENS

pytestmark = pytest.mark.ui


def test_a_right_to_left_visit_leaves_every_screen_as_it_was(display, shots, server, tmp_path):
    assert "ar" in LANGUAGES
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = drive("tests.ui.language_switch_driver", "language_switch", config,
                   tmp_path / "out.json", shots, display, "--param", "via=ar")
    assert tuple(result["checked"]) == SCREENS
    # Where a screen differs, its before/after frames are in the screenshots folder.
    assert result["changed"] == {}
