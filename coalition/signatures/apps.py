from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "coalition.signatures"

    def ready(self):
        from coalition.core.views import healthz_check_register

        from .mails import mail_kinds_register
        from .selectors import submission_lag

        mail_kinds_register()
        # A submission waiting is a signer waiting for their confirmation mail, like an owed mail.
        healthz_check_register("submissions", submission_lag)
