"""The appointment lane: when a checked-in appointment is called, and when a counter keeps
itself free for one (docs/queues.md, the appointment lane).

Pure (stdlib only): the server's ``do_call_next``, the wait estimator and the day
simulator all decide with these functions. Times are minutes since midnight, site time.

The rule, for a counter free at ``now``:

1. **Due appointment first.** A checked-in appointment ticket whose slot has come
   (``start <= now``) is called before any walk-in (earliest slot first). Early arrivals
   wait until their slot; they are never called before it.
2. **Held for an appointment.** Otherwise, if appointments of the counter's services start
   within ``HOLD_FACTOR`` x ``horizon`` (the mean length of the walk-in it would call next) and there
   are not enough *other* idle counters serving that service to take them, the counter
   calls nobody: it stays free for the slot (a walk-in started now would still be at the
   counter at the slot's time). An appointment not yet checked in is held for too: the
   slot is booked; once its start has passed it no longer holds a counter.
3. Otherwise the walk-ins, under the fair priority rule (``kiosk.domain.priority``).

Check-in (``checkin_lane``): up to ``grace`` minutes after the slot's start the visitor
gets a ticket in the appointment lane (due at once when late); later, a normal ticket in
the service's queue, as any walk-in.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kiosk.domain.priority import WaitingTicket, choose_next

DEFAULT_GRACE_MINUTES = 10.0
PUNCTUAL_MINUTES = 5.0  # the statistics' "on time": called within 5 min of the slot
# A counter is held when a slot starts within HOLD_FACTOR x the walk-in's mean length: a
# walk-in's time is skewed (a difficult file runs long), its mean alone lets too many overrun.
HOLD_FACTOR = 1.5
CODE_DIGITS = 6
LANE_PREFIX = "R"

LANE = "lane"
LATE = "late"

# "Je n'ai pas le code": the slot starts offered to touch, in minutes from now: from 20 min
# late (within the grace, or just past it) to 50 min early. The server lists the open slots
# of this window (GET /api/v1/appointments/slots); offline, the kiosk offers its 5-minute marks.
PICK_EARLIEST, PICK_LATEST = -20, 50
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Slot:
    """One appointment of the day: ``ticket_id`` is its lane ticket once checked in (None
    while only booked)."""

    appointment_id: str
    service: str
    start: float
    duration: float
    ticket_id: str | None = None


@dataclass(frozen=True)
class Decision:
    """What a free counter does: ``ticket`` to call (an appointment's or a walk-in's), or
    ``held_until`` (the slot it keeps itself free for), or neither (nobody to call)."""

    ticket: WaitingTicket | None = None
    appointment: Slot | None = None
    held_until: float | None = None


def checkin_lane(now: float, start: float, grace: float = DEFAULT_GRACE_MINUTES) -> str:
    """``LANE`` (early, on time, or late within the grace) or ``LATE`` (the normal queue)."""
    return LANE if now <= start + grace else LATE


def pick_window(now: float) -> tuple[int, int]:
    """The first and last minute of the day (inclusive) whose slots a visitor arriving at
    `now` may touch: today only (never yesterday's late slots nor tomorrow's early ones)."""
    minute = int(now)
    return (max(0, minute + PICK_EARLIEST), min(MINUTES_PER_DAY - 1, minute + PICK_LATEST))


def due_slot(slots: Sequence[Slot], services: frozenset[str] | set[str],
             now: float) -> Slot | None:
    """The checked-in appointment to call now: slot come, earliest first (ties by id)."""
    due = [s for s in slots if s.ticket_id is not None and s.service in services
           and s.start <= now]
    return min(due, key=lambda s: (s.start, s.appointment_id)) if due else None


def held_for(slots: Sequence[Slot], services: frozenset[str] | set[str], now: float,
             horizon: float, other_idle: Mapping[str, int]) -> Slot | None:
    """The slot this counter must keep itself free for, or None (rule 2).

    ``other_idle``: per service, the other counters serving it that are free now (each may
    take one of the slots). ``horizon``: minutes a walk-in started now would take."""
    upcoming: dict[str, list[Slot]] = {}
    for s in slots:
        if s.service in services and now < s.start <= now + horizon:
            upcoming.setdefault(s.service, []).append(s)
    needed = [min(line, key=lambda s: s.start) for service, line in sorted(upcoming.items())
              if len(line) > other_idle.get(service, 0)]
    return min(needed, key=lambda s: (s.start, s.appointment_id)) if needed else None


def decide(walk_ins: Sequence[WaitingTicket], recent_calls: Sequence[bool],
           slots: Sequence[Slot], services: frozenset[str] | set[str], now: float,
           horizon: Mapping[str, float], other_idle: Mapping[str, int]) -> Decision:
    """The whole rule for a free counter serving ``services`` (see the module's docstring).

    ``walk_ins``: the waiting tickets it may serve, appointment lane excluded;
    ``horizon``: per service, the expected minutes of one of its walk-ins."""
    slot = due_slot(slots, services, now)
    if slot is not None:
        ticket = WaitingTicket(slot.ticket_id or "", slot.service, slot.start)
        return Decision(ticket=ticket, appointment=slot)
    walk_in = choose_next(walk_ins, recent_calls)
    if walk_in is None:
        return Decision()
    held = held_for(slots, services, now, HOLD_FACTOR * horizon.get(walk_in.service, 0.0),
                    other_idle)
    if held is not None:
        return Decision(held_until=held.start)
    return Decision(ticket=walk_in)


def punctual(start: float, called_at: float | None) -> bool:
    """Called within PUNCTUAL_MINUTES of the slot's start (never before it)."""
    return called_at is not None and called_at - start <= PUNCTUAL_MINUTES


def mint_code(taken: set[str] | frozenset[str] = frozenset(),
              rng: random.Random | None = None) -> str:
    """A fresh check-in code of CODE_DIGITS digits, not in ``taken``."""
    rng = rng or random.SystemRandom()
    while True:
        code = "".join(rng.choice(string.digits) for _ in range(CODE_DIGITS))
        if code not in taken and code[0] != "0":  # no leading zero: spreadsheets drop it
            return code


def initials(name: str) -> str:
    """'Marie-Claire Dupont' -> 'MCD': what is kept of a name (uppercase letters only)."""
    import unicodedata

    out = []
    for word in name.replace("-", " ").replace("'", " ").split():
        letter = unicodedata.normalize("NFKD", word[0])[0].upper()
        if letter.isalpha():
            out.append(letter)
    return "".join(out)[:4]
