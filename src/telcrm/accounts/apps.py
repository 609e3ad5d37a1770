from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "telcrm.accounts"
    label = "accounts"
