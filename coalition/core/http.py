"""Pages a shared cache may keep, and forms that need no per-visitor token.

A page that is the same for every anonymous reader of a language is marked with `public_page`: its GET answers say
`Cache-Control: public` with a short max-age (PUBLIC_CACHE_SECONDS), so nginx (deploy/nginx.conf), a CDN or a
browser may reuse them. SharedCacheMiddleware keeps that promise honest: an answer that sets a cookie, or that was
drawn for a signed-in member, is made private and uncached whatever the view said.

A form on such a page cannot carry Django's CSRF token (the token is per visitor). `from_this_site` protects it the
way current browsers make possible: they say where a request comes from (`Sec-Fetch-Site`, `Origin`), and a POST
another site made is refused. Every other form keeps Django's CSRF protection.
"""

from contextlib import suppress
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.utils.cache import add_never_cache_headers, has_vary_header, patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from .views import permission_denied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def public_page(view):
    """Mark a view's successful GET and HEAD answers as shareable between anonymous readers.

    An answer that already names its own max-age (the badge, the share cards, the stats) keeps it."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            if "max-age" in response.get("Cache-Control", ""):
                patch_cache_control(response, public=True)
            else:
                patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        return response

    return wrapped


def must_stay_private(request, response):
    """Whether a response marked public must not be shared after all: it sets a cookie, or it read the session
    (Vary: Cookie) of a signed-in member and so is their own page. Asked after every other middleware."""
    if response.cookies:
        return True
    return has_vary_header(response, "Cookie") and hasattr(request, "user") and request.user.is_authenticated


def make_private(response):
    cache_control = response.get("Cache-Control", "")
    if "public" in cache_control:
        # patch_cache_control drops `public` when `private` is set, and the reverse.
        patch_cache_control(response, private=True)
    add_never_cache_headers(response)
    patch_vary_headers(response, ("Cookie",))


def _origin(url):
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _site_origins(request):
    origins = {_origin(url) for url in (settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS)}
    with suppress(DisallowedHost):
        origins.add(f"{request.scheme}://{request.get_host()}".lower())
    origins.discard(None)
    return origins


def sent_from_this_site(request, *, allow_unlabelled):
    """Whether an unsafe request came from one of this site's own pages, as the browser tells.

    `Sec-Fetch-Site` (every current browser) says it outright: `same-origin`, or `none` for a request the person
    made themselves. `same-site` is refused too: a sibling subdomain is another party. Without it, `Origin` must
    be the site's own. A request with neither comes from an old browser or a program: `allow_unlabelled` says
    whether the form takes those (the sign form does; its honeypot, fill time and rate limits still apply)."""
    origin = request.headers.get("Origin")
    if origin and origin != "null" and origin.lower() in _site_origins(request):
        return True
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    if origin is not None:
        return False
    return allow_unlabelled


def from_this_site(view=None, *, allow_unlabelled=False):
    """Refuse (403) an unsafe request another site made, in place of Django's CSRF check, for forms on public
    pages. Use only where the view does nothing for a signed-in member that it would not do for a stranger."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in SAFE_METHODS and not sent_from_this_site(
                request, allow_unlabelled=allow_unlabelled
            ):
                return permission_denied(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
