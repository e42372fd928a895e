from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "kiosk.server.content"
    label = "content"
    verbose_name = "Contenu des bornes"

    def ready(self) -> None:
        from kiosk.server.content import signals  # noqa: F401 - connects the change log
