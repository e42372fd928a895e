"""Help for visitors who cannot read: what the kiosk shows while it speaks, what it shows
when it has no voice for the language, and the idle warning's chime.

- `Reading` (one per app, `app.reading`): whether the kiosk is reading the screen aloud
  (polled from the speaker while it speaks), and whether this visitor asked for it — the
  ticket then tells the agent (`help_reading`, docs/protocol.md).
- `ReadAloudButton`: the "Écouter" button of every screen; while the kiosk speaks it pulses
  and turns into a stop button (speaker with a stop square).
- `NoVoiceView`: "Écouter" in Wolof or Bambara on a screen without a recording: a pulsing
  "no voice" pictogram and a big button to call an agent; the words only as a caption.
- `chime_file()`: a short two-note chime (WAV, written once from the standard library), played
  through the speaker's audio player like any recording.
"""

from __future__ import annotations

import logging
import math
import os
import struct
import tempfile
import wave
from pathlib import Path

from kivy.animation import Animation
from kivy.app import App
from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.modalview import ModalView

from kiosk.ui.flow_widgets import IconButton

log = logging.getLogger("carrefour.kiosk.reading")

POLL_SECONDS = 0.25  # how soon the indicator goes when the speech ends by itself
CHIME_NAME = "chime.wav"
CHIME_RATE = 22050
# (frequency Hz, seconds): a falling major third, soft attack and decay: heard, not alarming.
CHIME_NOTES = ((659.25, 0.22), (523.25, 0.38))


class Reading(EventDispatcher):
    """The read-aloud state of the app (the speaker itself never calls back: it is polled
    while it speaks, a process poll every POLL_SECONDS)."""

    speaking = BooleanProperty(False)
    # The visitor used read-aloud (or asked for it in a language without a voice) since the
    # last ticket or idle reset: the next ticket carries it to the agent.
    help_reading = BooleanProperty(False)

    def __init__(self, app, **kwargs):
        super().__init__(**kwargs)
        self.app = app
        self.cut_by_touch = False  # the last touch stopped speech (the stop button's tap)
        self.view: NoVoiceView | None = None  # the no-voice window, while it is open
        # Made once and kept: a kv-built window dropped after use leaves its rules bound to
        # app.tr, and the next language change then fails on the dead widget (seen in CI).
        self._no_voice: NoVoiceView | None = None
        self._poll = None

    def asked(self) -> None:
        self.help_reading = True

    def started(self) -> None:
        """The speaker started reading: show it until it ends or is stopped."""
        self.speaking = True
        if self._poll is None:
            self._poll = Clock.schedule_interval(self._check, POLL_SECONDS)

    def _check(self, _dt) -> None:
        speaker = self.app.speaker
        try:
            still = bool(speaker is not None and speaker.speaking)
        except Exception as exc:  # a speech fault never breaks the screen
            log.warning("speech state unavailable: %s", exc)
            still = False
        if not still:
            self.ended()

    def ended(self) -> None:
        self.speaking = False
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None

    def stopped(self) -> None:
        """Speech was stopped (a touch anywhere, the stop button, the idle reset)."""
        self.cut_by_touch = self.speaking
        self.ended()

    def no_voice(self) -> None:
        """No voice and no recording for this screen in this language: say it with a
        pictogram, and offer an agent."""
        if self.view is None:
            if self._no_voice is None:
                self._no_voice = NoVoiceView()
                self._no_voice.bind(on_dismiss=self._view_closed)
            self.view = self._no_voice
            self.view.start_pulse()
            self.view.open(animation=False)

    def _view_closed(self, view) -> None:
        view.stop_pulse()
        if self.view is view:
            self.view = None

    def reset(self) -> None:
        """A new visitor (idle reset): nothing shown, nothing asked."""
        self.ended()
        self.help_reading = False
        self.cut_by_touch = False
        if self.view is not None:
            self.view.dismiss(animation=False)

    def take_help_flag(self) -> bool:
        """The flag for the ticket being issued; the next visitor starts without it."""
        flag, self.help_reading = bool(self.help_reading), False
        return flag


class ReadAloudButton(IconButton):
    """"Écouter": reads the screen; while the kiosk speaks, pulses and stops it.

    Any touch stops speech (the idle watcher's on_touch, before the button sees the touch):
    a tap on this button while it spoke is then a stop, never a restart."""

    speaking = BooleanProperty(False)
    pulse = NumericProperty(0.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._anim = None
        self._stop_tap = False
        reading = App.get_running_app().reading
        reading.bind(speaking=self.setter("speaking"))
        self.speaking = reading.speaking

    def on_speaking(self, _widget, speaking: bool) -> None:
        if self._anim is not None:
            self._anim.cancel(self)
            self._anim = None
        self.pulse = 0.0
        if speaking:
            self._anim = Animation(pulse=1.0, duration=0.8) + Animation(pulse=0.0, duration=0.0)
            self._anim.repeat = True
            self._anim.start(self)

    def on_press(self):
        reading = App.get_running_app().reading
        self._stop_tap = reading.cut_by_touch or reading.speaking

    def on_release(self):
        app = App.get_running_app()
        if self._stop_tap:
            app.stop_speech()
        else:
            app.read_aloud()


class NoVoiceView(ModalView):
    """No voice for this language here: a pulsing "no voice" pictogram, call an agent."""

    pulse = NumericProperty(0.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._anim = Animation(pulse=1.0, duration=1.0) + Animation(pulse=0.0, duration=1.0)
        self._anim.repeat = True

    def start_pulse(self) -> None:
        self._anim.cancel(self)
        self.pulse = 0.0
        self._anim.start(self)

    def stop_pulse(self) -> None:
        self._anim.cancel(self)

    def call_agent(self) -> None:
        self.dismiss(animation=False)
        App.get_running_app().call_agent()


def chime_file(folder: str | Path) -> Path:
    """The chime WAV in `folder` (written the first time, atomically)."""
    folder = Path(folder)
    path = folder / CHIME_NAME
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for frequency, seconds in CHIME_NOTES:
        count = int(CHIME_RATE * seconds)
        for i in range(count):
            t = i / CHIME_RATE
            envelope = min(1.0, i / (0.01 * CHIME_RATE)) * math.exp(-4.0 * t / seconds)
            sample = 0.35 * envelope * (math.sin(2 * math.pi * frequency * t)
                                        + 0.3 * math.sin(4 * math.pi * frequency * t))
            frames += struct.pack("<h", int(max(-1.0, min(1.0, sample)) * 32767))
    fd, tmp = tempfile.mkstemp(prefix=".chime.", suffix=".wav", dir=folder)
    os.close(fd)
    try:
        with wave.open(tmp, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(CHIME_RATE)
            out.writeframes(bytes(frames))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def play_chime(app) -> bool:
    """The idle warning's chime through the speaker's player; False when it cannot play
    (speech disabled, no player, no sound device): the warning is seen anyway."""
    speaker = app.speaker
    if speaker is None:
        return False
    try:
        path = chime_file(Path(app.settings.data_dir) / "sounds")
        return bool(speaker.say_file(path))
    except Exception as exc:  # a full disk or a missing player never breaks the warning
        log.warning("chime not played: %s", exc)
        return False


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
