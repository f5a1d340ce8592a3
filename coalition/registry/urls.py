from django.urls import include, path, register_converter

from . import api, views

app_name = "registry"


class PublicId:
    """A declaration's address: 12 hex digits (services.declaration_draft); anything else is an unknown page."""

    regex = "[0-9a-f]{12}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PublicId, "public_id")

urlpatterns = [
    path("account/registry/", views.member, name="member"),
    path("registry/", views.index, name="index"),
    path("registry/declarations.jsonl", views.bulk_jsonl, name="bulk_jsonl"),
    path("registry/declarations.csv", views.bulk_csv, name="bulk_csv"),
    path("registry/<public_id:public_id>/", views.declaration, name="declaration"),
    path("registry/<public_id:public_id>.json", views.declaration_json, name="declaration_json"),
    path("registry/<public_id:public_id>/tdm-policy.json", views.tdm_policy, name="tdm_policy"),
    path("registry/<public_id:public_id>/tdmrep.json", views.member_tdmrep, name="member_tdmrep"),
    path("registry/<public_id:public_id>/robots.txt", views.member_robots, name="member_robots"),
    path("api/v1/registry/", include(api.api.urls[0])),
]

# Fixed addresses at the site's root, outside the language prefix: crawlers ask for exactly these.
root_urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(".well-known/tdmrep.json", views.coalition_tdmrep, name="tdmrep"),
]
