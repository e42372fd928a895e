"""The priority categories a visitor may claim for a ticket (docs/queues.md), declared once:
the kiosk's priority screen, the ticket API's schema, the server's Ticket.priority choices
and the agents' console all read them from here. How a priority ticket is called is
kiosk.domain.priority (the fair rule); here is only which categories exist.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PriorityCategory:
    key: str  # on the wire (TicketIn.priority) and in the database
    label_fr: str  # the agents' word for it (console, back-office)

    @property
    def text_key(self) -> str:
        """The kiosk's catalog key for the visitor's words ("I am pregnant")."""
        return f"priority_{self.key}"

    @property
    def pictogram(self) -> str:
        return f"priority-{self.key}"


# In the order the kiosk shows them.
PRIORITY_CATEGORIES: tuple[PriorityCategory, ...] = (
    PriorityCategory("pregnancy", "Grossesse"),
    PriorityCategory("disability", "Handicap"),
    PriorityCategory("elderly", "75 ans et plus"),
    PriorityCategory("appointment", "Rendez-vous"),
)
PRIORITY_KEYS: tuple[str, ...] = tuple(c.key for c in PRIORITY_CATEGORIES)
NO_PRIORITY = ""  # the wire's and the database's "none"
NO_PRIORITY_LABEL = "Aucune"


def priority_choices() -> list[tuple[str, str]]:
    """(key, French label) for a form or a model field, "none" first."""
    return [(NO_PRIORITY, NO_PRIORITY_LABEL), *((c.key, c.label_fr) for c in PRIORITY_CATEGORIES)]
