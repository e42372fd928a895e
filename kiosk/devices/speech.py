"""Read-aloud: espeak-ng in a subprocess, never blocking the caller.

A new `say()` or `stop()` kills the speech in progress: speech stops when the visitor acts.

Voices (espeak-ng 1.51, Debian 12): fr → "fr-fr", en → "en-gb", ar → "ar",
zh → "cmn-latn-pinyin" (Mandarin). The plain "cmn" voice of that version reads Chinese
characters as pinyin with the tone digits spoken in English ("ni three hao three");
"cmn-latn-pinyin" reads them as Mandarin. Arabic without vowel marks is understandable but
flat; content agents may add harakat to the texts meant to be read.

Wolof and Bambara: espeak-ng has no voice, and reading Wolof or Bambara text with a French
voice would be gibberish. So `available("wo")` is False, `say(text, "wo")` speaks nothing
(and returns False), and read-aloud in those languages comes only from audio recorded by
content agents, played with `say_file(path)` (aplay / paplay / pw-play, WAV). The UI may then
choose to read the French text with `say(text_fr, "fr")`: that is an explicit choice of the
screen, not a silent substitution here. Any other unknown language falls back to French.

Modes: "direct" (espeak-ng plays through its own audio library), "pipe"
(`espeak-ng --stdout | aplay -q`, for a bare ALSA system) and "file" (`-w` WAV files in
`output_dir`: tests and machines without a sound card).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import shlex
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "fr"
DEFAULT_VOICES: dict[str, str] = {
    "fr": "fr-fr",
    "en": "en-gb",
    "ar": "ar",
    "zh": "cmn-latn-pinyin",
}
# Kiosk languages espeak-ng cannot speak: recorded audio only.
NO_VOICE: tuple[str, ...] = ("wo", "bm")
PLAYERS: tuple[tuple[str, ...], ...] = (("aplay", "-q"), ("paplay",), ("pw-play",))
MODES = ("direct", "pipe", "file")
MAX_CHARS = 4000


class Speaker(Protocol):
    def say(self, text: str, language: str) -> bool: ...

    def say_file(self, path: str | Path) -> bool: ...

    def stop(self) -> None: ...

    def available(self, language: str) -> bool: ...

    @property
    def speaking(self) -> bool: ...


def clean_text(text: str) -> str:
    """One line of text, bounded: espeak-ng gets it as a single argument."""
    return " ".join(str(text).split())[:MAX_CHARS]


class EspeakSpeaker:
    def __init__(self, *, espeak: str = "espeak-ng", rate: int = 150,
                 voices: dict[str, str] | None = None, mode: str = "direct",
                 player: str | None = None, output_dir: str | Path | None = None,
                 enabled: bool = True) -> None:
        if mode not in MODES:
            raise ValueError(f"speech mode must be one of {MODES}, got {mode!r}")
        if mode == "file" and not output_dir:
            raise ValueError("speech mode 'file' needs an output_dir")
        self.espeak = espeak
        self.rate = int(rate)
        self.voices = {**DEFAULT_VOICES, **(voices or {})}
        self.mode = mode
        self.player = shlex.split(player) if player else _find_player()
        self.output_dir = Path(output_dir) if output_dir else None
        self.enabled = bool(enabled)
        self.last_output: Path | None = None
        self._procs: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._counter = itertools.count(1)

    @classmethod
    def from_config(cls, section: dict | None) -> EspeakSpeaker:
        """From the [speech] section of the kiosk TOML (see config/kiosk.example.toml)."""
        section = dict(section or {})
        known = {"espeak", "rate", "voices", "mode", "player", "output_dir", "enabled"}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"unknown [speech] keys: {', '.join(unknown)}")
        return cls(**section)

    # -- what can be said

    def voice(self, language: str) -> str | None:
        """The espeak-ng voice for a kiosk language; None for Wolof and Bambara."""
        language = (language or DEFAULT_LANGUAGE).lower().split("-")[0].split("_")[0]
        if language in NO_VOICE and language not in self.voices:
            return None
        return self.voices.get(language, self.voices[DEFAULT_LANGUAGE])

    def available(self, language: str) -> bool:
        """Whether `say(text, language)` can speak (espeak-ng installed, a voice exists)."""
        return (self.enabled and self.voice(language) is not None
                and shutil.which(self.espeak) is not None)

    def command(self, text: str, language: str, wav: str | Path | None = None) -> list[str]:
        voice = self.voice(language)
        if voice is None:
            raise ValueError(f"no espeak-ng voice for {language!r}")
        cmd = [self.espeak, "-v", voice, "-s", str(self.rate)]
        if wav is not None:
            cmd += ["-w", str(wav)]
        elif self.mode == "pipe":
            cmd.append("--stdout")
        # "--": a text starting with "-" is text, not an option.
        return [*cmd, "--", clean_text(text)]

    # -- speaking

    def say(self, text: str, language: str) -> bool:
        """Start reading `text` aloud and return at once; stops what was being said.
        False when nothing is spoken (disabled, no voice, espeak-ng missing, empty text)."""
        with self._lock:
            self._stop_locked()
            text = clean_text(text)
            if not text or not self.available(language):
                return False
            wav = None
            if self.mode == "file":
                wav = self.output_dir / f"speech-{next(self._counter):04d}.wav"  # type: ignore[operator]  # mode "file" has one (__init__)
                self.last_output = wav
            return self._start(self.command(text, language, wav))

    def say_file(self, path: str | Path) -> bool:
        """Play recorded audio (WAV) — the only read-aloud for Wolof and Bambara."""
        with self._lock:
            self._stop_locked()
            if not self.enabled or not self.player or not Path(path).is_file():
                return False
            return self._start([*self.player, str(path)], pipe=False)

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    close = stop

    @property
    def speaking(self) -> bool:
        with self._lock:
            return any(p.poll() is None for p in self._procs)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current speech to end (tests, shutdown); True if it ended."""
        with self._lock:
            procs = list(self._procs)
        try:
            for proc in procs:
                proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _start(self, cmd: list[str], pipe: bool | None = None) -> bool:
        pipe = self.mode == "pipe" if pipe is None else pipe
        try:
            if pipe and self.player:
                first = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
                try:
                    second = subprocess.Popen(self.player, stdin=first.stdout,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
                except OSError:
                    _kill(first)
                    raise
                finally:
                    first.stdout.close()  # type: ignore[union-attr]  # stdout=PIPE: a pipe  # the player holds the pipe now
                self._procs = [first, second]
            else:
                self._procs = [subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)]
        except OSError as exc:
            log.warning("speech could not start (%s): %s", cmd[0], exc)
            return False
        return True

    def _stop_locked(self) -> None:
        for proc in self._procs:
            _kill(proc)
        self._procs = []


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()  # SIGKILL: immediate, nothing to flush
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=2)


def _find_player() -> list[str] | None:
    for candidate in PLAYERS:
        if shutil.which(candidate[0]):
            return list(candidate)
    return None


class NullSpeaker:
    """Records what would have been said (tests, kiosks with speech disabled)."""

    def __init__(self, languages: tuple[str, ...] = ("fr", "en", "ar", "zh")) -> None:
        self.languages = languages
        self.calls: list[tuple] = []
        self._speaking = False

    def available(self, language: str) -> bool:
        return language in self.languages

    def say(self, text: str, language: str) -> bool:
        self.calls.append(("say", text, language))
        self._speaking = self.available(language)
        return self._speaking

    def say_file(self, path: str | Path) -> bool:
        self.calls.append(("say_file", str(path)))
        self._speaking = Path(path).is_file()
        return self._speaking

    def stop(self) -> None:
        self.calls.append(("stop",))
        self._speaking = False

    close = stop

    def finish(self) -> None:
        """The speech ends by itself (as espeak-ng's process would): tests of the UI."""
        self._speaking = False

    @property
    def speaking(self) -> bool:
        return self._speaking


def make_speaker(config_section: dict | None) -> Speaker:
    """EspeakSpeaker from [speech]; NullSpeaker when `enabled = false`."""
    section = dict(config_section or {})
    if not section.get("enabled", True):
        return NullSpeaker(languages=())
    return EspeakSpeaker.from_config(section)
