from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "coalition.letters"
