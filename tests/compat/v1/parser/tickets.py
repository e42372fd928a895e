# Frozen copy of kiosk/domain/tickets.py (tests/compat/record.py): never edit.
"""Ticket numbering and lifecycle rules, shared by kiosk and server."""

from __future__ import annotations

import enum
import re

NUMBER_WIDTH = 3
MAX_NUMBER = 10**NUMBER_WIDTH - 1
_PREFIX = re.compile(r"[A-Z]")
_DISPLAY = re.compile(r"([A-Z])([0-9]{3})")


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    PARKED = "parked"  # set aside at the counter (a missing paper); resumed later

    @property
    def is_open(self) -> bool:
        """An open ticket still occupies the queue or a counter."""
        return self in (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED)


# Which status may follow which: anything else is a bug or a stale console.
# CALLED -> CALLED is a recall; CALLED -> WAITING a transfer to another service's queue;
# PARKED -> WAITING a resume (back in the queue at its original place).
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.WAITING: frozenset({TicketStatus.CALLED, TicketStatus.CANCELLED}),
    TicketStatus.CALLED: frozenset(
        {TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.CALLED, TicketStatus.PARKED,
         TicketStatus.WAITING}
    ),
    TicketStatus.PARKED: frozenset(
        {TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.CANCELLED, TicketStatus.NO_SHOW}
    ),
    TicketStatus.DONE: frozenset(),
    TicketStatus.CANCELLED: frozenset(),
    TicketStatus.NO_SHOW: frozenset(),
}


class InvalidTransition(ValueError):
    pass


def check_transition(current: TicketStatus | str, new: TicketStatus | str) -> TicketStatus:
    """Return the new status if the lifecycle allows it, else raise InvalidTransition."""
    current, new = TicketStatus(current), TicketStatus(new)
    if new not in TRANSITIONS[current]:
        raise InvalidTransition(f"a {current} ticket cannot become {new}")
    return new


def validate_prefix(prefix: str) -> str:
    """A service's ticket prefix is one capital letter (C, F, L, Q...)."""
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"ticket prefix must be one capital letter A-Z, got {prefix!r}")
    return prefix


def format_ticket_number(prefix: str, number: int) -> str:
    """The number a visitor reads and hears: prefix + three digits, e.g. C042."""
    validate_prefix(prefix)
    if not 1 <= number <= MAX_NUMBER:
        raise ValueError(f"ticket number must be 1..{MAX_NUMBER}, got {number}")
    return f"{prefix}{number:0{NUMBER_WIDTH}d}"


def parse_ticket_number(display: str) -> tuple[str, int]:
    """Inverse of format_ticket_number: 'C042' -> ('C', 42)."""
    match = _DISPLAY.fullmatch(display) if isinstance(display, str) else None
    if not match or int(match.group(2)) == 0:
        raise ValueError(f"not a ticket number: {display!r}")
    return match.group(1), int(match.group(2))
