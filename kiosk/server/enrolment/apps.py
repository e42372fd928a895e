from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "kiosk.server.enrolment"
    label = "enrolment"
    verbose_name = "Provisionnement des bornes"
    default_auto_field = "django.db.models.BigAutoField"
