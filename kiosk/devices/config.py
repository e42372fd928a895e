"""The device sections of the kiosk TOML: [printer], [speech], [watchdog], [agent_exit].

kiosk/config.py (KioskConfig) reads only [server], [kiosk] and [screen] and ignores other
sections, so the device sections live in the same file (config/kiosk.example.toml documents
them) and are read here. The exit PIN hash is in [agent_exit] because KioskConfig rejects
unknown keys in [kiosk]; a `[kiosk] exit_pin_sha256` is also accepted here, should KioskConfig
learn that key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

SECTIONS = ("printer", "speech", "watchdog", "agent_exit")


class DeviceConfigError(ValueError):
    pass


def load_device_config(path: str | Path | None) -> dict[str, dict]:
    """{"printer": {...}, "speech": {...}, "watchdog": {...}, "agent_exit": {...}}.

    No path gives empty sections (no printer, default speech). Values are checked by the
    device factories (make_printer, EspeakSpeaker.from_config, ExitGesture.from_config)."""
    result: dict[str, dict] = {name: {} for name in SECTIONS}
    if not path:
        return result
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise DeviceConfigError(f"kiosk config not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DeviceConfigError(f"kiosk config {path} is not valid TOML: {exc}") from exc
    for name in SECTIONS:
        section = raw.get(name, {})
        if not isinstance(section, dict):
            raise DeviceConfigError(f"[{name}] must be a table")
        result[name] = dict(section)
    kiosk = raw.get("kiosk", {})
    if isinstance(kiosk, dict) and "exit_pin_sha256" in kiosk:
        result["agent_exit"].setdefault("pin_sha256", kiosk["exit_pin_sha256"])
    return result
