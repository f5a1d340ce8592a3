"""What a place covers, as keys the database can match: a lookup of any URL is a few indexed equalities.

- A domain proven by DNS covers every address on it and on its subdomains.
- Any other place covers its own host (not its subdomains) at and below its path: a channel page
  (youtube.com/@vera) covers its videos (youtube.com/@vera/videos), not youtube.com/@other. A place whose
  address has a query string (a feed, watch?v=…) covers that exact address only: on most sites the query names
  one item, and the path alone would be the whole site.
"""

import ipaddress
import posixpath
from contextlib import suppress
from urllib.parse import quote, unquote, urlsplit

import idna

WHOLE_DOMAIN = "*"


def normal_host(host):
    """Lower case, no trailing dot, internationalised names in their ASCII (punycode) form, no leading "www."."""
    host = (host or "").strip().lower().rstrip(".")
    # A name IDNA refuses is kept as typed: it simply matches nothing.
    with suppress(idna.IDNAError):
        host = idna.encode(host, uts46=True).decode("ascii") if host else ""
    return host[4:] if host.startswith("www.") else host


def domains_of(host):
    """`host` and the domains above it, down to a name of two labels: blog.example.org, example.org. (A bare
    one-label name is its own only domain.)"""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [host]


def is_ip_literal(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _percent_normal(text, safe):
    # One spelling per address (RFC 3986 6.2.2): "café", "caf%C3%A9" and "caf%c3%a9" are the same path.
    return quote(unquote(text), safe=safe)


def _normal_path(path):
    # "/a/./b/../c//" is "/a/c"; the root is "" so that every path starts below it.
    path = posixpath.normpath("/" + path.lstrip("/")) if path else "/"
    path = _percent_normal(path, safe="/@:!$&'()*+,;=~")
    return "" if path == "/" else path.rstrip("/")


def _host_key(parts):
    """The host, with its port when it is not the scheme's own: a service on another port is another place."""
    host = normal_host(parts.hostname)
    default = 443 if parts.scheme == "https" else 80
    # http and https on their own ports are one site; any other port is a place of its own.
    return host if parts.port in (None, default, 80, 443) else f"{host}:{parts.port}"


def _query_key(query):
    return _percent_normal(query, safe="=&+,;:@/!$'()*~")


def place_key(url, *, whole_domain):
    """(host, path key) of a place."""
    parts = urlsplit(url)
    host = _host_key(parts)
    if whole_domain:
        return normal_host(parts.hostname), WHOLE_DOMAIN
    path = _normal_path(parts.path)
    return host, f"{path}?{_query_key(parts.query)}" if parts.query else path


def lookup_keys(url):
    """(host, its parent domains, the path keys of places that would cover `url`)."""
    parts = urlsplit(url)
    host = _host_key(parts)
    domains = domains_of(normal_host(parts.hostname))
    path = _normal_path(parts.path)
    keys = [""]
    segments = [s for s in path.split("/") if s]
    for n in range(1, len(segments) + 1):
        keys.append("/" + "/".join(segments[:n]))
    if parts.query:
        keys.append(f"{path}?{_query_key(parts.query)}")
    return host, domains, keys
