"""Read-aloud: command lines per language, interruption, Wolof/Bambara, and real espeak-ng
runs writing WAV files (no sound card needed)."""

from __future__ import annotations

import os
import shutil
import stat
import struct
import wave

import pytest

from kiosk.devices.speech import EspeakSpeaker, NullSpeaker, make_speaker
from tests.support.patience import GUARD

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")


@pytest.fixture
def slow_espeak(tmp_path):
    """A stand-in for espeak-ng that speaks until killed (a real process to kill; the
    `speakers` fixture stops it): still speaking whenever a test looks, however slow."""
    script = tmp_path / "fake-espeak"
    script.write_text("#!/bin/sh\nexec sleep 3600\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.fixture
def speakers():
    made = []

    def make(**kw) -> EspeakSpeaker:
        made.append(EspeakSpeaker(**kw))
        return made[-1]

    yield make
    for speaker in made:
        speaker.stop()


@pytest.mark.parametrize("language, voice", [
    ("fr", "fr-fr"), ("en", "en-gb"), ("ar", "ar"), ("zh", "cmn-latn-pinyin"),
    ("fr-FR", "fr-fr"), ("de", "fr-fr"), ("", "fr-fr"),
])
def test_command_line_per_language(language, voice):
    speaker = EspeakSpeaker(rate=140)
    assert speaker.command("Bonjour  et\nbienvenue", language) == [
        "espeak-ng", "-v", voice, "-s", "140", "--", "Bonjour et bienvenue"]


def test_command_lines_for_pipe_and_file_modes(tmp_path):
    pipe = EspeakSpeaker(mode="pipe", player="aplay -q")
    assert pipe.command("-5 min", "fr") == [
        "espeak-ng", "-v", "fr-fr", "-s", "150", "--stdout", "--", "-5 min"]
    filed = EspeakSpeaker(mode="file", output_dir=tmp_path)
    assert filed.command("hi", "en", wav=tmp_path / "a.wav") == [
        "espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(tmp_path / "a.wav"), "--", "hi"]


def test_voices_can_be_overridden():
    speaker = EspeakSpeaker(voices={"en": "en-us", "zh": "yue"})
    assert speaker.voice("en") == "en-us" and speaker.voice("zh") == "yue"
    assert speaker.voice("fr") == "fr-fr"


@pytest.mark.parametrize("language", ["wo", "bm"])
def test_wolof_and_bambara_have_no_synthetic_voice(language, slow_espeak, speakers):
    speaker = speakers(espeak=slow_espeak)
    assert speaker.available("fr") is True
    assert speaker.available(language) is False
    assert speaker.voice(language) is None
    assert speaker.say("Jàmm nga fanaan", language) is False
    assert not speaker.speaking
    with pytest.raises(ValueError):
        speaker.command("Jàmm", language)


def test_say_returns_at_once_and_a_second_say_kills_the_first(slow_espeak, speakers):
    speaker = speakers(espeak=slow_espeak)
    assert speaker.say("Bienvenue à la mairie", "fr") is True
    # Returned while the speech goes on (it ends only when killed): say() does not wait.
    assert speaker.speaking
    first = speaker._procs[0]
    assert first.poll() is None
    assert first.args == [slow_espeak, "-v", "fr-fr", "-s", "150", "--", "Bienvenue à la mairie"]
    assert speaker.say("Welcome", "en") is True
    assert first.wait(GUARD) < 0  # killed (reaped by then, however busy the machine)
    second = speaker._procs[0]
    assert second is not first and second.poll() is None
    speaker.stop()
    assert second.wait(GUARD) < 0 and not speaker.speaking


def test_a_language_without_voice_still_stops_the_previous_speech(slow_espeak, speakers):
    speaker = speakers(espeak=slow_espeak)
    speaker.say("Bonjour", "fr")
    first = speaker._procs[0]
    assert speaker.say("Jàmm", "wo") is False
    assert first.wait(GUARD) < 0 and not speaker.speaking


def test_pipe_mode_kills_both_processes(slow_espeak, speakers):
    speaker = speakers(espeak=slow_espeak, mode="pipe", player="sleep 3600")
    assert speaker.say("Bonjour", "fr")
    procs = list(speaker._procs)
    assert len(procs) == 2 and all(p.poll() is None for p in procs)
    speaker.stop()
    assert all(p.wait(GUARD) < 0 for p in procs)


def test_say_file_plays_recorded_audio_or_reports_unavailable(tmp_path, speakers):
    clip = tmp_path / "wo-accueil.wav"
    clip.write_bytes(b"RIFF")
    no_player = speakers(player=None)
    no_player.player = None
    assert no_player.say_file(clip) is False
    # "Plays" until killed whatever the file (sh's $1): a process to interrupt.
    player = speakers(player="sh -c 'sleep 3600' player")
    assert player.say_file(clip) is True and player.speaking
    assert player._procs[0].args == ["sh", "-c", "sleep 3600", "player", str(clip)]
    assert player.say_file(tmp_path / "missing.wav") is False and not player.speaking


def test_a_missing_espeak_is_unavailable_not_an_error(speakers):
    speaker = speakers(espeak="/nonexistent/espeak-ng")
    assert speaker.available("fr") is False
    assert speaker.say("Bonjour", "fr") is False


def test_disabled_speech_says_nothing(slow_espeak, speakers):
    speaker = speakers(espeak=slow_espeak, enabled=False)
    assert speaker.say("Bonjour", "fr") is False and not speaker.speaking
    assert isinstance(make_speaker({"enabled": False}), NullSpeaker)


def test_config_section():
    speaker = make_speaker({"rate": 130, "mode": "pipe", "player": "aplay -q",
                            "voices": {"en": "en-us"}})
    assert isinstance(speaker, EspeakSpeaker)
    assert speaker.rate == 130 and speaker.player == ["aplay", "-q"]
    assert speaker.voice("en") == "en-us"
    with pytest.raises(ValueError, match="volume"):
        make_speaker({"volume": 3})
    with pytest.raises(ValueError, match="mode"):
        make_speaker({"mode": "loud"})


def test_null_speaker_records_calls():
    speaker = NullSpeaker()
    assert speaker.say("Bonjour", "fr") and speaker.speaking
    speaker.stop()
    assert not speaker.speaking
    assert speaker.say("Jàmm", "wo") is False
    assert speaker.calls == [("say", "Bonjour", "fr"), ("stop",), ("say", "Jàmm", "wo")]


def wav_audio(path) -> tuple[int, float, int]:
    """(sample rate, duration in s, peak amplitude) of a 16-bit mono WAV."""
    with wave.open(str(path), "rb") as w:
        frames = w.readframes(w.getnframes())
        assert w.getsampwidth() == 2
        rate, n = w.getframerate(), w.getnframes()
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return rate, n / rate, max(abs(s) for s in samples)


@needs_espeak
@pytest.mark.parametrize("language, text", [
    ("fr", "Votre numéro est le C 42. Attente estimée\u00a0: environ 25 minutes."),
    ("ar", "رقمك هو سي اثنان وأربعون"),
    ("zh", "您的号码是 C42"),
    ("en", "Your number is C 42."),
])
def test_real_espeak_ng_writes_speech(language, text, tmp_path, speakers):
    speaker = speakers(mode="file", output_dir=tmp_path)
    assert speaker.say(text, language) is True
    assert speaker.wait(timeout=GUARD)
    out = speaker.last_output
    assert out is not None and out.exists() and out.stat().st_size > 10_000
    rate, seconds, peak = wav_audio(out)
    assert rate == 22050 and seconds > 0.8 and peak > 1000  # speech, not silence
    assert os.path.getsize(out) > 0


@needs_espeak
def test_real_espeak_ng_is_interrupted(tmp_path, speakers):
    speaker = speakers(mode="direct")  # plays on the sound card, or fails without one
    long = "Bienvenue à la mairie du dix-neuvième arrondissement. " * 40
    assert speaker.say(long, "fr") is True
    speaker.stop()
    assert not speaker.speaking


@needs_espeak
def test_the_chinese_voice_reads_characters_as_mandarin():
    """espeak-ng 1.51's plain "cmn" voice reads 你好 as pinyin with the tone digits spoken in
    English; the chosen voice must not switch to English."""
    import subprocess

    voice = EspeakSpeaker().voice("zh")
    phonemes = subprocess.run([ESPEAK, "-q", "-x", "-v", voice, "--", "您好，请取号"],
                              capture_output=True, text=True, timeout=GUARD, check=True).stdout
    assert phonemes.strip() and "(en)" not in phonemes
