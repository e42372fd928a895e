"""The layout check's text-over-text finding (tests/ui/layout_check.py) on labels placed by
hand in a real Kivy window (Xvfb): letters over letters are found; texts side by side, or a
short text whose wrapped texture (as wide as its label) only spans the empty part of
another's, are not."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.ui.conftest import ROOT, kiosk_env

SCRIPT = r"""
import json, os
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.config import Config
Config.set("graphics", "width", "800"); Config.set("graphics", "height", "600")
from kivy.base import EventLoop
EventLoop.ensure_window()
from kivy.core.window import Window
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from tests.ui.layout_check import text_over_text
ARABIC = "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf"

def label(text, x, y, w, h, wrap=False, **kw):
    widget = Label(text=text, size_hint=(None, None), pos=(x, y), size=(w, h), font_size=30, **kw)
    if wrap:
        widget.text_size = (w, None)
    widget.texture_update()
    return widget

def findings(*labels):
    screen = FloatLayout(size=Window.size)
    for widget in labels:
        screen.add_widget(widget)
    Window.add_widget(screen)
    try:
        return text_over_text(screen)
    finally:
        Window.remove_widget(screen)

print("RESULT " + json.dumps({
    "over": findings(label("Bonjour", 100, 100, 300, 60), label("Salut", 150, 110, 300, 60)),
    "beside": findings(label("Bonjour", 100, 100, 300, 60), label("Salut", 420, 100, 300, 60)),
    "stacked": findings(label("Bonjour", 100, 100, 300, 60), label("Salut", 100, 170, 300, 60)),
    # Wrapped, left-aligned "A" in a 600 px label; "B" right-aligned in a label over its right
    # half: the textures cross, the letters do not.
    "wrapped_apart": findings(label("A", 100, 300, 600, 60, wrap=True, halign="left"),
                              label("B", 400, 300, 300, 60, wrap=True, halign="right")),
    "wrapped_over": findings(label("Bonjour tout le monde", 100, 300, 600, 60, wrap=True,
                                   halign="left"),
                             label("B", 150, 300, 300, 60, wrap=True, halign="left")),
    # Arabic aligned right as the kiosk does, in the same box as a left-aligned text.
    "rtl_apart": findings(label("A", 100, 300, 600, 60, wrap=True, halign="left"),
                          label("مرحبا", 100, 300, 600, 60, wrap=True, halign="right",
                                font_name=ARABIC)),
    "rtl_over": findings(label("Bonjour et bienvenue", 100, 300, 600, 60, wrap=True,
                               halign="left"),
                         label("مرحبا بكم في البلدية", 100, 300, 600, 60, wrap=True,
                               halign="right", font_name=ARABIC)),
}))
"""


def test_text_over_text_finds_letters_over_letters_only(display):
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=kiosk_env(display),
                          capture_output=True, text=True, timeout=300)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, proc.stderr[-3000:]
    found = json.loads(line[len("RESULT "):])
    assert found["over"] == ["text over text: Label('Bonjour') and Label('Salut')"]
    assert found["beside"] == found["stacked"] == []
    assert found["wrapped_apart"] == []
    assert found["wrapped_over"] == ["text over text: Label('Bonjour tout le monde') and Label('B')"]
    assert found["rtl_apart"] == []
    assert len(found["rtl_over"]) == 1 and found["rtl_over"][0].startswith(
        "text over text: Label('Bonjour et bienvenue') and Label(")
