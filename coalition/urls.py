from django.contrib import admin
from django.urls import include, path

from coalition.core.views import healthz

admin.site.site_header = "Creators Coalition on AI — organisers"
admin.site.site_title = "Coalition organisers"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("coalition.signatures.urls")),
]
