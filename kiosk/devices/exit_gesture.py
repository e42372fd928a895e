"""The agents' way out of the kiosk app: a hidden gesture, then a PIN. Pure logic, any clock.

Gesture: `taps` taps (5) in the top-left `corner_px` x `corner_px` square (80 px) within
`window_seconds` (3 s). Coordinates are measured from the top-left of the screen (Kivy's y
axis goes up: the UI passes `y = height - touch.y`). A tap elsewhere starts over.

PIN: compared by SHA-256 with the hash from the config (`[agent_exit] pin_sha256`), in
constant time (hmac.compare_digest). After `max_attempts` (3) wrong PINs the exit is locked
for `lockout_seconds` (60 s): during the lock even the right PIN is refused. No hash
configured: the exit is disabled (the service is restarted from a console instead).

`now` is any monotonic clock in seconds (the UI passes time.monotonic()).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

PinResult = Literal["ok", "wrong", "locked", "disabled"]


def pin_hash(pin: str) -> str:
    """The hex SHA-256 to put in the config: `printf %s PIN | sha256sum`."""
    return hashlib.sha256(pin.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    result: PinResult
    attempts_left: int
    locked_for: float = 0.0

    def __bool__(self) -> bool:
        return self.ok


class ExitGesture:
    def __init__(self, pin_sha256: str = "", *, taps: int = 5, window_seconds: float = 3.0,
                 corner_px: float = 80, max_attempts: int = 3,
                 lockout_seconds: float = 60.0) -> None:
        pin_sha256 = (pin_sha256 or "").strip().lower()
        if pin_sha256 and (len(pin_sha256) != 64
                           or any(c not in "0123456789abcdef" for c in pin_sha256)):
            raise ValueError("pin_sha256 must be 64 hex digits (printf %s PIN | sha256sum)")
        if taps < 2 or window_seconds <= 0 or corner_px <= 0 or max_attempts < 1:
            raise ValueError("invalid exit gesture settings")
        self.pin_sha256 = pin_sha256
        self.taps = int(taps)
        self.window = float(window_seconds)
        self.corner = float(corner_px)
        self.max_attempts = int(max_attempts)
        self.lockout = float(lockout_seconds)
        self._taps: list[float] = []
        self._failures = 0
        self._locked_until: float | None = None

    @classmethod
    def from_config(cls, section: dict | None) -> ExitGesture:
        """From the [agent_exit] section (see config/kiosk.example.toml)."""
        section = dict(section or {})
        known = {"pin_sha256", "taps", "window_seconds", "corner_px", "max_attempts",
                 "lockout_seconds"}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"unknown [agent_exit] keys: {', '.join(unknown)}")
        return cls(**section)

    @property
    def enabled(self) -> bool:
        return bool(self.pin_sha256)

    # -- the gesture

    def tap(self, x: float, y: float, now: float) -> bool:
        """Record a tap (x, y from the top-left corner). True when the gesture is complete:
        the UI then asks for the PIN. The count restarts after a completed gesture."""
        if not self.enabled:
            return False
        if not (0 <= x < self.corner and 0 <= y < self.corner):
            self._taps.clear()
            return False
        self._taps = [t for t in self._taps if now - t <= self.window]
        self._taps.append(now)
        if len(self._taps) >= self.taps:
            self._taps.clear()
            return True
        return False

    def reset(self) -> None:
        """Forget the taps in progress (e.g. at the idle reset). The lock stays."""
        self._taps.clear()

    # -- the PIN

    def locked(self, now: float) -> float:
        """Seconds the PIN entry stays locked (0 when not locked)."""
        if self._locked_until is None:
            return 0.0
        if now >= self._locked_until:
            self._locked_until = None
            self._failures = 0
            return 0.0
        return self._locked_until - now

    def check_pin(self, pin: str, now: float) -> PinCheck:
        """Truthy only for the right PIN outside a lock."""
        if not self.enabled:
            return PinCheck(False, "disabled", 0)
        remaining = self.locked(now)
        if remaining:
            return PinCheck(False, "locked", 0, remaining)
        if hmac.compare_digest(pin_hash(str(pin)), self.pin_sha256):
            self._failures = 0
            return PinCheck(True, "ok", self.max_attempts)
        self._failures += 1
        if self._failures >= self.max_attempts:
            self._locked_until = now + self.lockout
            return PinCheck(False, "locked", 0, self.lockout)
        return PinCheck(False, "wrong", self.max_attempts - self._failures)
