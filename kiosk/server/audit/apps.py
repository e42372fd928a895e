from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kiosk.server.audit"
    label = "audit"
    verbose_name = "Journal des modifications"
