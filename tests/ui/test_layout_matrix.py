"""The layout matrix of the kiosk: eighteen screens x six languages x five modes (normal, large
text, high contrast, lower reach, large text + lower reach), each checked for cut text, text
or targets off screen, overlapping or too small targets (tests/ui/layout_check.py), a glyph
missing from the font that draws it, text under 4.5:1 against the pixels behind it
(tests/ui/render_check.py), and a mode switched on then off leaving the frame as it was; one contact sheet per screen and
language in tests/artifacts/screenshots/matrix-<screen>-<lang>.png (a column per mode).

One kiosk process per language (each within the driver's deadline); MATRIX_LANGUAGES
("fr,en,ar") limits a run to some of them: make test runs the six in two suites."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kiosk.ui.i18n import compile_all
from tests.conftest import demo_data
from tests.ui.conftest import ROOT, RUN_DEADLINE, kiosk_env, write_config
from tests.ui.matrix_driver import LANGUAGES, MODES

pytestmark = pytest.mark.ui


CHECKED = tuple(code for code in os.environ.get("MATRIX_LANGUAGES", ",".join(LANGUAGES)).split(",")
                if code)
_RUNS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def run_language(display, shots, server, tmp_path_factory):
    """The matrix of one language, run once per module (a kiosk process per language)."""
    compile_all()

    def run(code: str) -> dict:
        if code not in _RUNS:
            tmp = tmp_path_factory.mktemp(f"matrix-{code}")
            config = write_config(tmp / "kiosk.toml", server.url,
                                  demo_data()["kiosks"][0]["token"], tmp / "data")
            out = tmp / "matrix.json"
            proc = subprocess.run(
                [sys.executable, "-m", "tests.ui.matrix_driver", "matrix", "--config",
                 str(config), "--out", str(out), "--shots", str(shots), "--wait-sync",
                 "--param", f"lang={code}"],
                cwd=ROOT, env=kiosk_env(display), capture_output=True,
                text=True, timeout=RUN_DEADLINE,
            )
            if not out.exists():
                pytest.fail(f"matrix driver crashed ({proc.returncode}):\n{proc.stderr[-3000:]}")
            result = json.loads(out.read_text(encoding="utf-8"))
            if not result.get("ok"):
                pytest.fail(f"matrix failed:\n{result.get('error')}\n{proc.stderr[-3000:]}")
            _RUNS[code] = result
        return _RUNS[code]

    return run


SCREENS = ("home", "pole", "service", "priority", "sms_offer", "sms_phone", "carnet", "ticket", "situations", "situation", "search", "offers",
           "carte", "propose", "wait_info", "appointment", "feedback", "feedback_comment")


@pytest.mark.parametrize("code", CHECKED)
def test_every_screen_and_mode_was_drawn(run_language, shots, code):
    matrix = run_language(code)
    assert len(matrix["checked"]) == len(MODES) * len(SCREENS)
    print(f"layout matrix [{code}]: {len(matrix['checked'])} screen x mode cases checked "
          f"({matrix['seconds']} s, {matrix.get('cpu')} CPU s)")
    for screen in SCREENS:
        assert (shots / f"matrix-{screen}-{code}.png").stat().st_size > 20_000


@pytest.mark.parametrize("code", CHECKED)
def test_no_cut_text_no_overlap_nothing_off_screen(run_language, code):
    # Arabic included from its first layout: right-aligned Arabic measured too wide the first
    # time a font size was used (Kivy's SDL2 provider) until kiosk/ui/core_label.py.
    mine = {k: v for k, v in run_language(code)["problems"].items() if k.startswith(f"{code}/")}
    assert {k: v for k, v in mine.items() if v} == {}
