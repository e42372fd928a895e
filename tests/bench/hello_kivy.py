"""The baseline of the kiosk start-up bench: a bare Kivy "hello" app, first frame then quit."""

import os
import time

T0 = float(os.environ.get("CARREFOUR_T0") or time.time())
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kivy.app import App  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.label import Label  # noqa: E402


class Hello(App):
    def build(self):
        Window.bind(on_flip=self.first_flip)
        return Label(text="Bonjour", font_size=64)

    def first_flip(self, *_):
        Window.unbind(on_flip=self.first_flip)
        print(f"carrefour-kiosk: first frame after {time.time() - T0:.3f} s", flush=True)
        self.stop()


if __name__ == "__main__":
    Hello().run()
