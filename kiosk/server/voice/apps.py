from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "kiosk.server.voice"
    label = "voice"
    verbose_name = "Avis des visiteurs"
    default_auto_field = "django.db.models.BigAutoField"
