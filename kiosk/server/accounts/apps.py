from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kiosk.server.accounts"
    label = "accounts"
    verbose_name = "Agents et rôles"

    def ready(self) -> None:
        # Connects the login signal that sets the session's end (before any request).
        from kiosk.server.accounts import sessions  # noqa: F401
