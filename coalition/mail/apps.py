from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "coalition.mail"

    def ready(self):
        from coalition.core.views import healthz_check_register

        from .selectors import mail_lag

        healthz_check_register("mail", mail_lag)
