from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from coalition.core.views import healthz

# Organisers sign in through allauth, with its rate limits, like everyone else.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Creators Coalition on AI — organisers"
admin.site.site_title = "Coalition organisers"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("coalition.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("coalition.signatures.urls")),
]

handler400 = "coalition.core.views.bad_request"
handler403 = "coalition.core.views.permission_denied"
handler404 = "coalition.core.views.page_not_found"
handler500 = "coalition.core.views.server_error"
