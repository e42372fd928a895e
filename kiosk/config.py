"""Kiosk configuration: one TOML file (config/kiosk.example.toml documents every key).

Environment variables override the file (CARREFOUR_SERVER_URL, CARREFOUR_KIOSK_TOKEN,
CARREFOUR_SITE, CARREFOUR_DATA_DIR), so a systemd unit can keep the token in a credentials file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class KioskConfig:
    server_url: str = "http://127.0.0.1:8000"
    token: str = ""
    # The slug of the kiosk's site (its token's): its QR links carry it, since one server
    # serves several mairies whose pages share slugs. Empty: links without it (one site).
    site: str = ""
    # The mairie's name printed at the top of a ticket ("Mairie du 19e arrondissement").
    site_name: str = ""
    # The mairie's time zone: it decides "today" on the kiosk (hours, offers, leases of
    # offline numbers), whatever the machine's clock zone (kiosk/domain/clock.py).
    time_zone: str = "Europe/Paris"
    data_dir: Path = Path("var/kiosk")
    language: str = "fr"
    fullscreen: bool = True
    # Dev mode: windowed, Escape and close allowed. Never on a kiosk in the hall.
    dev_mode: bool = False
    sync_interval: float = 30.0
    request_timeout: float = 5.0
    width: int = 1280
    height: int = 800
    # Samples per pixel of the window's anti-aliasing (OpenGL multisampling; Kivy's default
    # 2): the smooth edges of the rounded tiles and the pictograms' circles. 0 turns it off:
    # a machine drawing without a GPU (Mesa's software GL, which makes 2 a 4-sample buffer)
    # spends about two thirds of a frame's CPU on it (a kiosk frame: 88 ms with, 31 without).
    multisamples: int = 2
    screenshot_path: str = ""
    # Idle reset: without a touch for idle_timeout s, back home, default language, modes off,
    # anything typed wiped; a warning with "more time" shows idle_warning s before.
    idle_timeout: float = 90.0
    idle_warning: float = 20.0
    # Accessibility: the screen's density (touch targets >= 9 mm) and the large-text factor.
    screen_dpi: float = 96.0
    text_scale: float = 1.3
    assets_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parent.parent / "assets")

    @property
    def store_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"


def _read_secret(value: str) -> str:
    """`file:/path` reads the secret from a file (systemd credentials, Docker secrets)."""
    if value.startswith("file:"):
        return Path(value[5:]).read_text(encoding="utf-8").strip()
    return value


def load_config(path: str | Path | None = None, **overrides) -> KioskConfig:
    data: dict = {}
    if path:
        try:
            with open(path, "rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"kiosk config not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"kiosk config {path} is not valid TOML: {exc}") from exc
        for section in ("server", "kiosk", "screen"):
            data.update(raw.get(section, {}))
    env = {
        "server_url": os.environ.get("CARREFOUR_SERVER_URL"),
        "token": os.environ.get("CARREFOUR_KIOSK_TOKEN"),
        "site": os.environ.get("CARREFOUR_SITE"),
        "data_dir": os.environ.get("CARREFOUR_DATA_DIR"),
    }
    data.update({k: v for k, v in env.items() if v})
    data.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name: f for f in fields(KioskConfig)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"unknown kiosk config keys: {', '.join(unknown)}")
    for key in ("data_dir", "assets_dir"):
        if key in data:
            data[key] = Path(data[key])
    if "token" in data:
        data["token"] = _read_secret(str(data["token"]))
    config = KioskConfig(**data)
    from kiosk.domain.clock import ClockError, set_zone

    try:
        set_zone(config.time_zone)
    except ClockError as exc:
        raise ConfigError(str(exc)) from exc
    if not 0 <= config.multisamples <= 16:
        raise ConfigError(f"multisamples must be between 0 and 16, got {config.multisamples}")
    if not config.server_url.startswith(("http://", "https://")):
        raise ConfigError(f"server_url must be http(s)://..., got {config.server_url!r}")
    return config
