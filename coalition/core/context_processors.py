from django.conf import settings
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from .middleware import language_in_url


def _language_versions(request):
    """This page in each language: where the language switch links to and what `hreflang` announces. A page
    outside the language prefix, or an address that is not a page, links to each language's letter instead."""
    path = request.get_full_path()
    current = translation.get_language()
    same_page = getattr(request, "resolver_match", None) is not None and language_in_url(request.path_info)
    versions = []
    for code, _name in settings.LANGUAGES:
        if same_page:
            url = translate_url(path, code)
        else:
            with translation.override(code):
                url = reverse("signatures:letter")
        versions.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                "url": url,
                "absolute_url": settings.SITE_URL + url,
                "current": code == current,
                "default": code == settings.LANGUAGE_CODE,
                "alternate": same_page,
            }
        )
    return versions


def language_versions(request):
    return {"language_versions": SimpleLazyObject(lambda: _language_versions(request))}
