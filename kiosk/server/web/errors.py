"""The queue's error messages, in French for the agents' pages.

The queue actions (kiosk.server.queueing.*) raise QueueError with a short English message that
is safe to show. The console speaks French: the known messages are translated here, anything
else is shown as it is.
"""

from __future__ import annotations

import re

STATUS_FR = {
    "waiting": "en attente",
    "called": "appelé",
    "done": "terminé",
    "cancelled": "annulé",
    "no_show": "absent",
    "parked": "mis de côté",
}

_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"wait (\d+) s more before marking (\w+) absent"),
     "Trop tôt pour déclarer {1} absent : encore {0} s d'attente."),
    (re.compile(r"no ticket at this counter"), "Aucun ticket en cours à ce guichet."),
    (re.compile(r"no such ticket on this site"), "Ce ticket n'existe pas sur ce site."),
    (re.compile(r"this counter does not serve that ticket's service"),
     "Ce guichet ne traite pas le service de ce ticket."),
    (re.compile(r"ticket (\w+) is (\w+), not waiting"),
     "Le ticket {0} n'est plus en attente ({1})."),
    (re.compile(r"ticket (\w+) is not parked"), "Le ticket {0} n'est pas mis de côté."),
    (re.compile(r"the ticket is already in that service"), "Le ticket est déjà dans ce service."),
    (re.compile(r"unknown service '?([^']*)'?"), "Service inconnu : {0}."),
    (re.compile(r"this service works on appointment only: no ticket"),
     "Ce service reçoit sur rendez-vous uniquement : pas de ticket."),
    (re.compile(r"phone number refused: (.*)"), "Numéro de téléphone refusé : {0}"),
    (re.compile(r"the visitor's consent is required to keep a phone number"),
     "Le consentement du visiteur est nécessaire pour garder son numéro."),
    (re.compile(r"unknown priority category '?([^']*)'?"), "Catégorie de priorité inconnue : {0}."),
    (re.compile(r"no more tickets today for this service \((\d+) issued\)"),
     "Plus de ticket aujourd'hui pour ce service ({0} déjà distribués)."),
    (re.compile(r"only a waiting ticket can ask for more time"),
     "Seul un ticket en attente peut demander plus de temps."),
    (re.compile(r"more time was already given once"), "Le délai supplémentaire a déjà été accordé."),
    (re.compile(r"the end of the pause must be later than now"),
     "L'heure de retour doit être à venir."),
    (re.compile(r"a pause ends today: close the counter for today instead"),
     "Une pause finit aujourd'hui : sinon, fermez le guichet pour aujourd'hui."),
    (re.compile(r"the counter is closed: open it (first|instead)"),
     "Le guichet est fermé : ouvrez-le d'abord."),
    (re.compile(r"a (\w+) ticket cannot become (\w+)"),
     "Action impossible : le ticket est {0}."),
]


def french(message: str) -> str:
    """The French text of a QueueError message (the message itself when unknown)."""
    for pattern, template in _RULES:
        match = pattern.fullmatch(message.strip())
        if match:
            groups = [STATUS_FR.get(g, g) for g in match.groups()]
            return template.format(*groups)
    return message
