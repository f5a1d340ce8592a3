from django.urls import include, path

from coalition.core.http import public_page

from . import api, press, views

app_name = "signatures"

urlpatterns = [
    path("", views.letter_page, name="letter"),
    path("crafts/<str:craft>/", views.craft_page, name="craft"),
    path("signed/", views.check_inbox, name="check_inbox"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("signatories/", views.signatory_page, name="list"),
    path("signatories.csv", views.signatory_csv, name="csv"),
    # Flat, in this namespace (the API's urls_namespace): signatures:api_list, signatures:api_stats,
    # signatures:api_organisations, signatures:openapi-json.
    path("api/v1/", include(api.api.urls[0])),
    path("organisations/endorse/", views.organisation_endorse, name="organisation_endorse"),
    path("organisations/confirm/<str:token>/", views.organisation_confirm, name="organisation_confirm"),
    path("feeds/notable.atom", public_page(press.NotableFeed()), name="feed"),
    path("embed/counter/", press.embed_counter, name="embed_counter"),
    path("embed/counter.js", press.embed_counter_script, name="embed_counter_script"),
    path("badge.svg", press.badge, name="badge"),
    path("corrections/", press.corrections, name="corrections"),
    path("press/", press.press_page, name="press"),
    path("share/letter.png", press.share_card, name="share_letter"),
    path("share/<str:craft>.png", press.share_card, name="share_craft"),
    path("press/snapshots/<str:day>.csv", press.snapshot_download, name="snapshot"),
]
