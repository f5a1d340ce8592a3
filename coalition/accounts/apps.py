from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "coalition.accounts"
    # allauth's app is "Accounts" in the admin: ours holds members' profiles and the coalition's updates.
    verbose_name = _("Members and updates")

    def ready(self):
        from .mails import mail_kinds_register

        mail_kinds_register()


class OrganiserAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the site that asks organisers for a second factor."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "coalition.accounts.sites.OrganiserAdminSite"
