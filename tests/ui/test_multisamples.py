"""`[screen] multisamples`: the window's anti-aliasing, Kivy's 2 unless the kiosk's file says
otherwise (0: a machine without a GPU; the UI tests' kiosks, tests/ui/conftest.py)."""

from __future__ import annotations

import pytest

from kiosk.config import ConfigError, load_config
from tests.ui.conftest import kivy_script_result

SCRIPT = r"""
import json, sys
from kiosk.config import load_config
from kiosk.ui.app import configure_kivy
configure_kivy(load_config(sys.argv[1]))
from kivy.base import EventLoop
EventLoop.ensure_window()
from kivy.graphics.opengl import glGetIntegerv
GL_SAMPLES = 0x80A9
print("RESULT " + json.dumps({"samples": glGetIntegerv(GL_SAMPLES)[0]}))
"""


def _config(tmp_path, screen: str):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n\n[screen]\nfullscreen = false\n'
                    f"width = 640\nheight = 400\n{screen}", encoding="utf-8")
    return path


def test_the_window_draws_with_the_samples_the_file_asks(display, tmp_path):
    assert load_config(_config(tmp_path, "")).multisamples == 2
    production = kivy_script_result(display, SCRIPT, str(_config(tmp_path, "")))
    assert production["samples"] >= 2  # Mesa's software GL gives 4 for Kivy's 2
    without = kivy_script_result(display, SCRIPT, str(_config(tmp_path, "multisamples = 0\n")))
    assert without["samples"] == 0


@pytest.mark.parametrize("value", ["-1", "17"])
def test_samples_out_of_range_are_refused(tmp_path, value):
    with pytest.raises(ConfigError, match="multisamples must be between 0 and 16"):
        load_config(_config(tmp_path, f"multisamples = {value}\n"))
