"""The agents' exit: 5 taps in the top-left corner within 3 s, then a PIN with a lockout."""

from __future__ import annotations

import pytest

from kiosk.devices.exit_gesture import ExitGesture, PinCheck, pin_hash

PIN = "482915"
HASH = pin_hash(PIN)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self, advance: float = 0.0) -> float:
        self.now += advance
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_pin_hash_is_the_sha256_sum_agents_compute():
    # printf %s 482915 | sha256sum
    import hashlib

    assert HASH == hashlib.sha256(b"482915").hexdigest() and len(HASH) == 64


def test_five_taps_in_the_corner_within_three_seconds(clock):
    gesture = ExitGesture(HASH)
    results = [gesture.tap(10, 10, clock(0.5)) for _ in range(5)]
    assert results == [False, False, False, False, True]
    # The count starts over after a completed gesture.
    assert gesture.tap(10, 10, clock(0.1)) is False


def test_slow_taps_do_not_count(clock):
    gesture = ExitGesture(HASH)
    # Taps at 0.8 s intervals: 5 taps span 3.2 s, too slow.
    assert not any(gesture.tap(5, 5, clock(0.8)) for _ in range(5))
    # The window slides: the last four (2.4 s) and one more 0.5 s later make five in 2.9 s.
    assert gesture.tap(5, 5, clock(0.5)) is True


def test_taps_outside_the_corner_start_over(clock):
    gesture = ExitGesture(HASH)
    for _ in range(4):
        assert gesture.tap(79, 79, clock(0.1)) is False
    assert gesture.tap(80, 10, clock(0.1)) is False  # just outside
    assert gesture.tap(10, 10, clock(0.1)) is False  # counting again from one
    assert [gesture.tap(0, 0, clock(0.1)) for _ in range(4)] == [False, False, False, True]


def test_reset_forgets_taps(clock):
    gesture = ExitGesture(HASH)
    for _ in range(4):
        gesture.tap(1, 1, clock(0.1))
    gesture.reset()
    assert gesture.tap(1, 1, clock(0.1)) is False


def test_the_right_pin(clock):
    gesture = ExitGesture(HASH)
    check = gesture.check_pin(PIN, clock())
    assert check and check == PinCheck(True, "ok", 3)


def test_three_wrong_pins_lock_for_sixty_seconds(clock):
    gesture = ExitGesture(HASH)
    assert gesture.check_pin("0000", clock()) == PinCheck(False, "wrong", 2)
    assert gesture.check_pin("1111", clock(1)) == PinCheck(False, "wrong", 1)
    assert gesture.check_pin("2222", clock(1)) == PinCheck(False, "locked", 0, 60.0)
    # Locked: even the right PIN is refused.
    check = gesture.check_pin(PIN, clock(59))
    assert not check and check.result == "locked" and check.locked_for == pytest.approx(1.0)
    assert gesture.locked(clock()) == pytest.approx(1.0)
    # After the lock, three fresh attempts.
    assert gesture.check_pin("3333", clock(1)) == PinCheck(False, "wrong", 2)
    assert gesture.check_pin(PIN, clock(1))


def test_a_right_pin_resets_the_failures(clock):
    gesture = ExitGesture(HASH)
    gesture.check_pin("0000", clock())
    gesture.check_pin("0000", clock())
    assert gesture.check_pin(PIN, clock())
    assert gesture.check_pin("0000", clock()) == PinCheck(False, "wrong", 2)


def test_no_hash_configured_disables_the_exit(clock):
    gesture = ExitGesture("")
    assert not gesture.enabled
    assert not any(gesture.tap(1, 1, clock(0.1)) for _ in range(10))
    assert gesture.check_pin("", clock()) == PinCheck(False, "disabled", 0)


def test_settings_and_config(clock):
    gesture = ExitGesture.from_config({"pin_sha256": HASH.upper(), "taps": 3,
                                       "window_seconds": 1.0, "corner_px": 120,
                                       "max_attempts": 2, "lockout_seconds": 10})
    assert [gesture.tap(110, 110, clock(0.2)) for _ in range(3)] == [False, False, True]
    gesture.check_pin("x", clock())
    assert gesture.check_pin("y", clock()).locked_for == 10
    with pytest.raises(ValueError, match="hex"):
        ExitGesture("1234")
    with pytest.raises(ValueError, match="unknown"):
        ExitGesture.from_config({"pin": "1234"})


def test_the_example_config_leaves_the_exit_disabled():
    from pathlib import Path

    from kiosk.devices.config import load_device_config

    example = Path(__file__).resolve().parents[2] / "config" / "kiosk.example.toml"
    assert not ExitGesture.from_config(load_device_config(example)["agent_exit"]).enabled


def test_kiosk_section_hash_is_accepted(tmp_path):
    from kiosk.devices.config import load_device_config

    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\nexit_pin_sha256 = "{HASH}"\n[printer]\nbackend = "none"\n')
    sections = load_device_config(toml)
    assert sections["agent_exit"] == {"pin_sha256": HASH}
    assert sections["printer"] == {"backend": "none"}
    assert ExitGesture.from_config(sections["agent_exit"]).check_pin(PIN, 0.0)
