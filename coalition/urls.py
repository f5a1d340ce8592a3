from allauth.account.decorators import secure_admin_login
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from coalition.core.views import healthz
from coalition.registry import urls as registry_urls

# Organisers sign in through allauth, with its rate limits, like everyone else.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Creators Coalition on AI — organisers"
admin.site.site_title = "Coalition organisers"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include((registry_urls.root_urlpatterns, "registry_root"))),
]

# The language is in the address: English as it always was (/signatories/), French under /fr/ (/fr/signatories/).
# A shared cache keys on the address, so each reader gets the page in the language they chose; the language
# switch is a link to the same page's other address. The API's labels and errors follow the same rule
# (/fr/api/v1/stats/), so that its answers are shareable too.
urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("", include("coalition.accounts.urls")),
    path("", include("coalition.registry.urls")),
    path("", include("coalition.signatures.urls")),
    prefix_default_language=False,
)

handler400 = "coalition.core.views.bad_request"
handler403 = "coalition.core.views.permission_denied"
handler404 = "coalition.core.views.page_not_found"
handler500 = "coalition.core.views.server_error"
