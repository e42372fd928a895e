"""The site's clock: "today" and "now" in the mairie's time zone, whatever the machine's.

A kiosk's system clock may run in UTC (or anywhere): between 23:00 and 00:00 UTC, Paris is
already tomorrow, and the kiosk would refuse its offline tickets (their lease is for the
server's day) and show yesterday's hours. Every "today" of the kiosk comes from here; the
kiosk sets the zone from its config at start (`set_zone`, default Europe/Paris).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Paris"
_zone: ZoneInfo = ZoneInfo(DEFAULT_ZONE)


class ClockError(ValueError):
    pass


def set_zone(name: str) -> None:
    """The site's IANA time zone (e.g. "Europe/Paris", "America/Cayenne")."""
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ClockError(f"unknown time zone {name!r}") from exc


def zone() -> ZoneInfo:
    return _zone


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def site_now() -> dt.datetime:
    """Now, aware, in the site's zone."""
    return _utc_now().astimezone(_zone)


def site_today() -> dt.date:
    """Today at the site."""
    return site_now().date()


def local_time(moment: dt.datetime) -> dt.datetime:
    """An aware moment in the site's zone (a naive one is taken as UTC, as the API sends)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(_zone)
