from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coalition.accounts"

    def ready(self):
        from .mails import mail_kinds_register

        mail_kinds_register()
