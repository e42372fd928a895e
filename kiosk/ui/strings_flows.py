"""The kiosk's words for its journeys (situations, search, ticket flow, SMS, agent, idle).

Same shape as kiosk.ui.strings (French is the reference and the fallback); the languages
work moves them into the gettext catalogues with the rest. Wording: short sentences, one
idea each, "vous", no jargon; gentle where a visitor may be grieving.
"""

from __future__ import annotations

STRINGS_FLOWS: dict[str, dict[str, str]] = {
    # -- everywhere ------------------------------------------------------------------------
    "call_agent": {"fr": "Appeler un agent", "en": "Call an agent"},
    "read_aloud": {"fr": "Écouter", "en": "Listen"},
    "stop_reading": {"fr": "Arrêter", "en": "Stop"},
    # -- home entries ----------------------------------------------------------------------
    "entry_situations": {"fr": "Ce qui m'arrive", "en": "What's happening to me"},
    "entry_search": {"fr": "Rechercher", "en": "Search"},
    # -- life situations -------------------------------------------------------------------
    "situations_title": {"fr": "Ce qui vous arrive", "en": "What is happening to you"},
    "situations_intro": {
        "fr": "Touchez la situation qui vous concerne : nous vous disons où aller et quoi apporter.",
        "en": "Touch your situation: we tell you where to go and what to bring.",
    },
    "situations_empty": {
        "fr": "Ces informations ne sont pas encore disponibles. Un agent de l'accueil peut vous aider.",
        "en": "This information is not available yet. A reception agent can help you.",
    },
    "situation_gentle": {
        "fr": "Prenez votre temps. Un agent peut vous accompagner dans ces démarches : "
              "touchez « Appeler un agent », en bas de l'écran.",
        "en": "Take your time. An agent can guide you through these steps: "
              "touch \"Call an agent\" at the bottom of the screen.",
    },
    "situation_services": {"fr": "Les services qui vous aident", "en": "The services that help you"},
    "situation_documents": {"fr": "Ce qu'il faut apporter", "en": "What to bring"},
    # -- service detail --------------------------------------------------------------------
    "plan_alt": {
        "fr": "Plan de l'étage : le point rouge montre où aller.",
        "en": "Floor plan: the red dot shows where to go.",
    },
    "checklist_hint": {
        "fr": "Touchez un document pour le cocher quand vous l'avez.",
        "en": "Touch a document to tick it when you have it.",
    },
    "checklist_count": {"fr": "{have} document(s) sur {total}", "en": "{have} of {total} document(s)"},
    "wait_title": {"fr": "Attente en ce moment", "en": "Waiting time now"},
    "wait_loading": {"fr": "Nous regardons la file d'attente…", "en": "Checking the queue…"},
    "wait_people": {
        "fr": "{waiting} personne(s) en attente\nenviron {minutes} min",
        "en": "{waiting} person(s) waiting\nabout {minutes} min",
    },
    "wait_people_unknown": {"fr": "{waiting} personne(s) en attente", "en": "{waiting} person(s) waiting"},
    "wait_nobody": {"fr": "Personne n'attend :\nvous serez reçu vite", "en": "Nobody is waiting:\nyou will be seen soon"},
    "wait_unknown_offline": {
        "fr": "Attente inconnue pour l'instant",
        "en": "Waiting time unknown for now",
    },
    "continue_phone": {
        "fr": "Sur votre téléphone : scannez ce code pour garder ces informations.",
        "en": "On your phone: scan this code to keep this information.",
    },
    # -- search ----------------------------------------------------------------------------
    "search_title": {"fr": "Rechercher", "en": "Search"},
    "search_hint": {
        "fr": "Tapez un mot, par exemple « naissance » ou « logement ».",
        "en": "Type a word, for example \"birth\" or \"housing\".",
    },
    "search_chips_hint": {"fr": "Touchez un sujet.", "en": "Touch a topic."},
    "search_none": {
        "fr": "Rien trouvé pour « {query} ». Essayez un autre mot, ou appelez un agent.",
        "en": "Nothing found for \"{query}\". Try another word, or call an agent.",
    },
    "search_count": {"fr": "{count} résultat(s)", "en": "{count} result(s)"},
    "key_space": {"fr": "espace", "en": "space"},
    "key_erase": {"fr": "Effacer", "en": "Delete"},
    "key_clear": {"fr": "Tout effacer", "en": "Clear"},
    # -- priority --------------------------------------------------------------------------
    "priority_title": {"fr": "Êtes-vous dans l'une de ces situations ?", "en": "Does one of these apply to you?"},
    "priority_intro": {
        "fr": "Vous passerez en priorité. Un agent peut vous demander un justificatif.",
        "en": "You will be seen first. An agent may ask for proof.",
    },
    "priority_pregnancy": {"fr": "Je suis enceinte", "en": "I am pregnant"},
    "priority_disability": {"fr": "J'ai un handicap", "en": "I have a disability"},
    "priority_elderly": {"fr": "J'ai 75 ans ou plus", "en": "I am 75 or older"},
    "priority_appointment": {"fr": "J'ai un rendez-vous", "en": "I have an appointment"},
    "priority_none": {"fr": "Non, aucune", "en": "No, none of these"},
    # -- SMS opt-in ------------------------------------------------------------------------
    "sms_title": {"fr": "Un SMS quand votre tour approche ?", "en": "A text message when your turn is near?"},
    "sms_why": {
        "fr": "Vous pouvez attendre ailleurs, au parc des Buttes-Chaumont par exemple : "
              "nous vous envoyons un SMS environ 15 minutes avant votre tour.",
        "en": "You can wait elsewhere, in the Buttes-Chaumont park for example: "
              "we text you about 15 minutes before your turn.",
    },
    "sms_who": {
        "fr": "Responsable : la Mairie du 19e arrondissement (Ville de Paris).",
        "en": "Controller: the Mairie du 19e arrondissement (City of Paris).",
    },
    "sms_purpose": {
        "fr": "Un seul usage : vous prévenir que votre tour approche. Jamais de publicité.",
        "en": "One use only: telling you your turn is near. Never advertising.",
    },
    "sms_retention": {
        "fr": "Votre numéro est effacé dès que votre ticket est terminé.",
        "en": "Your number is erased as soon as your ticket is finished.",
    },
    "sms_privacy_short": {
        "fr": "Mairie du 19e (Ville de Paris) · uniquement pour ce SMS · "
              "numéro effacé dès que votre ticket est terminé.",
        "en": "Mairie du 19e (City of Paris) · for this text only · "
              "number erased as soon as your ticket is finished.",
    },
    "sms_yes": {"fr": "Oui, je veux un SMS", "en": "Yes, text me"},
    "sms_no": {"fr": "Non merci, juste le ticket", "en": "No thanks, just the ticket"},
    "sms_type": {"fr": "Tapez votre numéro de portable", "en": "Type your mobile number"},
    "sms_consent": {
        "fr": "J'accepte que mon numéro serve uniquement à ce SMS",
        "en": "I agree my number is used for this text only",
    },
    "sms_send": {"fr": "Valider et prendre mon ticket", "en": "Confirm and take my ticket"},
    "sms_need_consent": {
        "fr": "Touchez « J'accepte » pour continuer, ou revenez en arrière.",
        "en": "Touch \"I agree\" to continue, or go back.",
    },
    "phone_error_empty": {"fr": "Tapez votre numéro de portable.", "en": "Type your mobile number."},
    "phone_error_too_long": {"fr": "Ce numéro est trop long.", "en": "This number is too long."},
    "phone_error_invalid_chars": {"fr": "Tapez seulement des chiffres.", "en": "Type digits only."},
    "phone_error_not_a_number": {
        "fr": "Ce n'est pas un numéro de téléphone. Vérifiez les chiffres.",
        "en": "This is not a phone number. Check the digits.",
    },
    "phone_error_invalid": {
        "fr": "Ce numéro n'existe pas. Vérifiez les chiffres (10 chiffres, 06 ou 07).",
        "en": "This number does not exist. Check the digits (10 digits, 06 or 07).",
    },
    "phone_error_not_mobile": {
        "fr": "Ce numéro ne reçoit pas les SMS : tapez un numéro de portable (06 ou 07).",
        "en": "This number cannot receive texts: type a mobile number (06 or 07).",
    },
    # -- ticket ----------------------------------------------------------------------------
    "ticket_sms_on": {
        "fr": "SMS au {phone} environ 15 minutes avant votre tour.",
        "en": "Text to {phone} about 15 minutes before your turn.",
    },
    "print_ok": {"fr": "Prenez votre ticket sous l'écran.", "en": "Take your ticket below the screen."},
    "print_failed": {
        "fr": "L'imprimante ne marche pas : prenez une photo de votre numéro, ou notez-le. "
              "L'accueil est prévenu.",
        "en": "The printer is not working: take a photo of your number, or write it down. "
              "Reception has been told.",
    },
    "print_no_paper": {
        "fr": "Plus de papier : prenez une photo de votre numéro, ou notez-le. L'accueil est prévenu.",
        "en": "Out of paper: take a photo of your number, or write it down. Reception has been told.",
    },
    "while_waiting": {"fr": "Pendant l'attente", "en": "While you wait"},
    # -- while you wait --------------------------------------------------------------------
    "waitinfo_title": {"fr": "Pendant votre attente", "en": "While you wait"},
    "waitinfo_sms": {
        "fr": "Vous pouvez sortir : nous vous envoyons un SMS environ 15 minutes avant votre tour.",
        "en": "You can go out: we text you about 15 minutes before your turn.",
    },
    "waitinfo_qr": {
        "fr": "Vous pouvez sortir : suivez votre tour sur votre téléphone avec le code QR du ticket.",
        "en": "You can go out: follow your turn on your phone with the ticket's QR code.",
    },
    "walking_minutes": {"fr": "{minutes} min à pied", "en": "{minutes} min walk"},
    "waitinfo_empty": {
        "fr": "Installez-vous dans le hall : des sièges, de l'eau et le wifi sont à votre disposition.",
        "en": "Make yourself comfortable in the hall: seats, water and wifi are available.",
    },
    # -- call an agent ---------------------------------------------------------------------
    "assist_title": {"fr": "Un agent arrive", "en": "An agent is coming"},
    "assist_sending": {"fr": "Nous prévenons un agent…", "en": "We are telling an agent…"},
    "assist_sent": {
        "fr": "Restez près de la borne : un agent vient vous aider.",
        "en": "Stay near the kiosk: an agent is coming to help you.",
    },
    "assist_taken": {"fr": "{agent} arrive vers vous.", "en": "{agent} is coming to you."},
    "assist_someone": {"fr": "Un agent", "en": "An agent"},
    "assist_failed": {
        "fr": "Nous n'avons pas pu prévenir un agent. Allez à l'accueil, à l'entrée du hall : on vous aide.",
        "en": "We could not reach an agent. Please go to the reception desk at the hall entrance.",
    },
    # -- idle ------------------------------------------------------------------------------
    "idle_title": {"fr": "Vous êtes toujours là ?", "en": "Are you still there?"},
    "idle_body": {
        "fr": "Dans {seconds} s, l'écran revient à l'accueil et efface ce que vous avez tapé.",
        "en": "In {seconds} s the screen goes back home and erases what you typed.",
    },
    "idle_more": {"fr": "Plus de temps", "en": "More time"},
}
