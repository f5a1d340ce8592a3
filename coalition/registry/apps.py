from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "coalition.registry"
    verbose_name = _("Consent registry")

    def ready(self):
        from coalition.signatures.signals import personal_data_erased, signer_data_requested

        from .selectors import registry_member_data
        from .services import registry_erase

        personal_data_erased.connect(registry_erase, dispatch_uid="registry_erase")
        signer_data_requested.connect(registry_member_data, dispatch_uid="registry_member_data")
