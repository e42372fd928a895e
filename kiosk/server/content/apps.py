from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "kiosk.server.content"
    label = "content"
    verbose_name = "Contenu des bornes"

    def ready(self) -> None:
        from kiosk.server.content import signals

        signals.connect()  # the change log follows every write of content
