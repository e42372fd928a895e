from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kiosk.server.accounts"
    label = "accounts"
    verbose_name = "Agents et rôles"
