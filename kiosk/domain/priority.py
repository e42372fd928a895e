"""The fair priority rule: which waiting ticket a free counter calls next.

Priority categories (pregnancy, disability, elderly, appointment) go first, but never so
absolutely that ordinary visitors wait forever. The rule, used by the server queue, by the
wait estimator's forward simulation and by the day simulator alike:

1. Among the tickets a counter may serve, take the oldest priority ticket ``P`` and the
   oldest normal ticket ``N`` ("oldest" = smallest ``(issued_at, seq)``: the server passes
   the ticket's primary key as ``seq``, as its call order is ``(queued_at, pk)``; complete
   ties keep list order).
2. If there is no ``P``, call ``N``; if there is no ``N``, call ``P``.
3. If the last ``MAX_PRIORITY_STREAK`` (= 2) calls were all priority calls, call ``N``
   (anti-starvation: at most two priority tickets are called in a row while a normal
   ticket waits).
4. Otherwise call ``P``.

A priority ticket passed over by rule 3 keeps its place at the head of the priority line:
it is never sent to the back, and it is called at the very next priority turn.

Guarantees (proved by tests/domain/test_priority.py on random streams):

- *Normal tickets never starve.* A normal ticket with ``m`` normal tickets ahead of it is
  called within ``3 × (m + 1)`` calls, however many priority tickets arrive meanwhile.
- *Priority tickets are never sent to the back.* A priority ticket with ``k`` priority
  tickets ahead of it is called within ``k + 1 + ⌈(k + 1) / 2⌉`` calls, however many
  normal tickets arrive meanwhile; the only normal tickets that may pass it are the
  anti-starvation calls of rule 3, at most one per two priority calls.

``recent_calls`` is the priority flag of the latest calls drawn from the same queue
(oldest first; only the tail matters). Because the rule only looks at the oldest priority
and the oldest normal ticket, callers may pass just the heads of their per-service lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_PRIORITY_STREAK = 2


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket in the queue. ``issued_at`` is in minutes (any origin, e.g. since midnight);
    ``seq`` breaks ties between tickets issued at the same time (the server: the ticket pk)."""

    ticket_id: str
    service: str
    issued_at: float
    priority: bool = False
    seq: int = 0

    @property
    def place(self) -> tuple[float, int]:
        """The ticket's place in its line: earlier is called first."""
        return (self.issued_at, self.seq)


def priority_streak(recent_calls: Sequence[bool]) -> int:
    """How many priority calls end ``recent_calls`` (oldest first)."""
    streak = 0
    for flag in reversed(recent_calls):
        if not flag:
            break
        streak += 1
    return streak


def choose_next(
    waiting: Sequence[WaitingTicket], recent_calls: Sequence[bool] = ()
) -> WaitingTicket | None:
    """The ticket to call next under the fair priority rule, or None when nobody waits."""
    oldest_priority: WaitingTicket | None = None
    oldest_normal: WaitingTicket | None = None
    # Each ticket's place read once (the estimator's forward simulation calls this for
    # every call it simulates).
    priority_place = normal_place = (0.0, 0)
    for ticket in waiting:
        place = (ticket.issued_at, ticket.seq)
        if ticket.priority:
            if oldest_priority is None or place < priority_place:
                oldest_priority, priority_place = ticket, place
        elif oldest_normal is None or place < normal_place:
            oldest_normal, normal_place = ticket, place
    if oldest_priority is None:
        return oldest_normal
    if oldest_normal is None:
        return oldest_priority
    if priority_streak(recent_calls) >= MAX_PRIORITY_STREAK:
        return oldest_normal
    return oldest_priority
