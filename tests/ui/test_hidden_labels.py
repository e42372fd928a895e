"""A label on a screen not shown is drawn when its screen is (kiosk/ui/widgets.py
ScriptLabel.texture_update, draw_stale_labels): a mode or a language switched redraws only
the screen shown, and every other screen is right the first frame it is shown."""

from __future__ import annotations

from tests.ui.conftest import kivy_script_result

SCRIPT = r"""
import json, os
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.base import EventLoop
EventLoop.ensure_window()
from kivy.app import App
from kivy.core.window import Window
from kivy.properties import DictProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

class Kiosk(App):  # what the labels' kv rule reads of the kiosk's app (kiosk/ui/widgets.kv)
    font, font_direction, font_script = (StringProperty(v) for v in ("Roboto", "ltr", "Latn"))
    palette = DictProperty({"text": [0, 0, 0, 1]})
    def language_font(self, _code):
        return self.font

App._running_app = Kiosk()
from kiosk.ui.widgets import ScriptLabel, draw_stale_labels

drawn = []
class Counted(ScriptLabel):
    def texture_update(self, *largs):
        shown_before = self.texture
        super().texture_update(*largs)
        if self.texture is not shown_before:
            drawn.append(self.text)

manager = ScreenManager(transition=NoTransition())
manager.bind(current_screen=lambda _manager, screen: draw_stale_labels(screen))
shown, hidden = Screen(name="shown"), Screen(name="hidden")
near, far = Counted(text="Bonjour", font_size=20), Counted(text="Au revoir", font_size=20)
shown.add_widget(near)
hidden.add_widget(far)
manager.add_widget(shown)
manager.add_widget(hidden)
Window.add_widget(manager)

def frames(count=3):
    for _ in range(count):
        EventLoop.idle()

def state():
    return {"drawn": list(drawn), "near": list(near.texture_size), "far": list(far.texture_size),
            "far_stale": far._stale, "near_stale": near._stale}

frames()
result = {"start": state()}
drawn.clear()
near.font_size = far.font_size = 40  # large text switched on: both labels change
frames()
result["switched"] = state()
drawn.clear()
manager.current = "hidden"  # the other screen shown: its label drawn before its first frame
EventLoop.idle()
result["shown"] = state()
drawn.clear()
near.text = "Bonjour, bienvenue"  # now hidden: changed, not drawn
frames()
result["changed_hidden"] = state()
manager.current = "shown"
EventLoop.idle()
result["back"] = state()
print("RESULT " + json.dumps(result))
"""


def test_a_hidden_screens_labels_are_drawn_when_it_is_shown(display):
    found = kivy_script_result(display, SCRIPT)
    start, switched, shown = found["start"], found["switched"], found["shown"]
    # From the start only the screen shown is drawn.
    assert start["drawn"] == ["Bonjour"] and start["far"] == [0, 0] and start["far_stale"]
    # The size changed on both: only the label shown is drawn again, at the new size.
    assert switched["drawn"] == ["Bonjour"], switched
    assert switched["near"][1] > start["near"][1] and switched["far"] == [0, 0], switched
    # Its screen shown, the other label is drawn in the frame that shows it, at the new size.
    assert shown["drawn"] == ["Au revoir"] and not shown["far_stale"], shown
    assert shown["far"][1] == switched["near"][1], shown
    # A text changed on the screen now hidden waits for it; shown again, it is drawn.
    changed, back = found["changed_hidden"], found["back"]
    assert changed["drawn"] == [] and changed["near_stale"], changed
    assert changed["near"] == switched["near"], changed
    assert back["drawn"] == ["Bonjour, bienvenue"] and back["near"][0] > switched["near"][0], back
