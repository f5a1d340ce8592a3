from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "coalition.signatures"

    def ready(self):
        from .mails import mail_kinds_register

        mail_kinds_register()
