"""What every JSON API of the site shares (django-ninja): text as written and Django's own content type."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer


class SiteRenderer(JSONRenderer):
    # Names in any script, as written: "Zoë", not "Zo\u00eb".
    json_dumps_params = {"ensure_ascii": False}


class SiteAPI(NinjaAPI):
    """A NinjaAPI that answers in the site's JSON (SiteRenderer unless told otherwise)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("renderer", SiteRenderer())
        super().__init__(**kwargs)

    def get_content_type(self):
        # Exactly what Django's JsonResponse sends, as the API always has.
        return self.renderer.media_type
