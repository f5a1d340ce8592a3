from django.urls import path

from . import api, press, views

app_name = "signatures"

urlpatterns = [
    path("", views.letter_page, name="letter"),
    path("crafts/<str:craft>/", views.craft_page, name="craft"),
    path("signed/", views.check_inbox, name="check_inbox"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("signatories/", views.signatory_page, name="list"),
    path("signatories.csv", views.signatory_csv, name="csv"),
    path("api/v1/signatories/", api.signatories, name="api_list"),
    path("api/v1/stats/", api.stats, name="api_stats"),
    path("feeds/notable.atom", press.NotableFeed(), name="feed"),
    path("embed/counter/", press.embed_counter, name="embed_counter"),
    path("badge.svg", press.badge, name="badge"),
    path("corrections/", press.corrections, name="corrections"),
]
