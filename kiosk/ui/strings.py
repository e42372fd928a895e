"""The kiosk's own words (not the content's). French is the reference and the fallback.

A small table for now; the six-language catalogues (gettext, extracted with Babel) replace
it in the languages issue without changing the call sites: `t(key, lang, **fields)`.
"""

from __future__ import annotations

from kiosk.domain.languages import localized

STRINGS: dict[str, dict[str, str]] = {
    "welcome": {"fr": "Bonjour, bienvenue à la mairie", "en": "Hello, welcome to the town hall"},
    "what_for": {"fr": "Touchez ce qui vous amène", "en": "Touch what brings you here"},
    "loading_content": {
        "fr": "Les informations se chargent… Si cela dure, adressez-vous à l'accueil.",
        "en": "Loading information… If this lasts, please ask at the reception desk.",
    },
    "offline": {
        "fr": "Hors connexion : informations du {when}. Les tickets restent possibles à l'accueil.",
        "en": "Offline: information from {when}. Tickets are still available at reception.",
    },
    "offline_never": {
        "fr": "Hors connexion : les informations n'ont pas encore pu être chargées.",
        "en": "Offline: the information could not be loaded yet.",
    },
    "back": {"fr": "Retour", "en": "Back"},
    "home": {"fr": "Accueil", "en": "Home"},
    "where": {"fr": "Où aller", "en": "Where to go"},
    "hours_today": {"fr": "Horaires aujourd'hui", "en": "Opening hours today"},
    "closed_today": {"fr": "Fermé aujourd'hui", "en": "Closed today"},
    "documents": {"fr": "Documents à apporter", "en": "Documents to bring"},
    "take_ticket": {"fr": "Prendre un ticket", "en": "Take a ticket"},
    "by_appointment": {
        "fr": "Ce service reçoit sur rendez-vous. Un agent de l'accueil peut vous aider.",
        "en": "This service works by appointment. A reception agent can help you.",
    },
    "ticket_pending": {"fr": "Votre ticket arrive…", "en": "Your ticket is coming…"},
    "your_number": {"fr": "Votre numéro", "en": "Your number"},
    "position_next": {"fr": "Vous êtes le prochain", "en": "You are next"},
    "position_n": {"fr": "{ahead} personne(s) avant vous", "en": "{ahead} person(s) before you"},
    "wait_estimate": {"fr": "Attente estimée : environ {minutes} min", "en": "Estimated wait: about {minutes} min"},
    "wait_now": {"fr": "Vous allez être appelé dans un instant", "en": "You will be called in a moment"},
    "next_opening": {"fr": "Prochaine ouverture : {day} {hours}", "en": "Next opening: {day} {hours}"},
    "weekdays": {
        "fr": "lundi,mardi,mercredi,jeudi,vendredi,samedi,dimanche",
        "en": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
    },
    "wait_unknown": {"fr": "Attente estimée : inconnue pour l'instant", "en": "Estimated wait: unknown for now"},
    "follow_on_phone": {
        "fr": "Suivez votre ticket sur votre téléphone : scannez ce code.",
        "en": "Follow your ticket on your phone: scan this code.",
    },
    "ticket_failed": {
        "fr": "Nous n'avons pas pu vous donner un ticket. Adressez-vous à l'accueil, on vous aide.",
        "en": "We could not give you a ticket. Please ask at the reception desk.",
    },
    "done": {"fr": "Terminé", "en": "Done"},
}


def t(key: str, lang: str = "fr", **fields) -> str:
    text = localized(STRINGS[key], lang)
    return text.format(**fields) if fields else text
