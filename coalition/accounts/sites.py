"""The organisers' admin, which opens only to accounts with a second factor."""

from functools import wraps

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def organiser_has_second_factor(user):
    """An authenticator app: the code it shows is asked at every sign-in (recovery codes stand in for it)."""
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


class OrganiserAdminSite(admin.AdminSite):
    """The admin holds the keys to the public list: a stolen password alone must not open it. An organiser without
    an authenticator app is sent to set one up first."""

    def admin_view(self, view, cacheable=False):
        if view == self.logout:
            return super().admin_view(view, cacheable)

        @wraps(view)
        def second_factor_required(request, *args, **kwargs):
            if not organiser_has_second_factor(request.user):
                messages.info(request, _("Set up an authenticator app first: the admin asks for its code."))
                return redirect("mfa_activate_totp")
            return view(request, *args, **kwargs)

        # Django's own check (signed in, staff) runs first; a visitor still goes to the sign-in page.
        return super().admin_view(second_factor_required, cacheable)
