from django.urls import path

from . import api, views

app_name = "signatures"

urlpatterns = [
    path("", views.letter_page, name="letter"),
    path("signed/", views.check_inbox, name="check_inbox"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("signatories/", views.signatory_page, name="list"),
    path("signatories.csv", views.signatory_csv, name="csv"),
    path("api/v1/signatories/", api.signatories, name="api_list"),
    path("api/v1/stats/", api.stats, name="api_stats"),
]
