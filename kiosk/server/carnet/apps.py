from django.apps import AppConfig


class CarnetConfig(AppConfig):
    """The carnet du citoyen: a ticket's documents checklist, and what a visitor chose to
    keep from one visit to the next (docs/privacy.md, the carnet)."""

    name = "kiosk.server.carnet"
    label = "carnet"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Carnet du citoyen"
