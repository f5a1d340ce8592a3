"""Proof of channel: fetch a creator's page or feed and look for the token we gave them.

The URL is typed by a stranger, so the fetch is the classic server-side request forgery target. Every hop is
checked: http or https only, no credentials, a host whose every address (after DNS resolution) is public, and
the connection is pinned to the address that was checked, so a second DNS answer cannot point it elsewhere.
Timeouts, a size cap and a redirect limit bound what one check can cost.
"""

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "CreatorsCoalitionChannelCheck/1.0 (+proof of channel for the open letter)"


# Each error is one fixed English sentence: it is stored with the proof and shown to the member in their language
# (the page translates it). Details that would not translate (host, HTTP status, exception) go to the log.


class FetchRefused(Exception):
    """The URL may not be fetched at all (private address, wrong scheme): asking again will not help."""


class FetchFailed(Exception):
    """The fetch went wrong in a way that may pass (timeout, DNS, HTTP error)."""


# IPv6 forms that carry an IPv4 address the packet may end up at. The stdlib's is_global judges the IPv6 prefix
# and does not look inside, so each is handled here.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # a NAT64 gateway forwards to the IPv4 in the last 32 bits (RFC 6052)
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215): the site's own network
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291); no public site has one, :: and ::1 are in it


def _is_global(ip):
    return ip.is_global and not ip.is_multicast


def address_is_public(address):
    """True only for an address that is globally routable, and so is any IPv4 address carried inside it
    (IPv4-mapped, NAT64, 6to4). IPv4-compatible addresses, local-use NAT64 and Teredo (2001::/32, a tunnel whose
    server and client are both written in it, neither being the site) are refused whole."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 4:
        return _is_global(ip)
    if ip.ipv4_mapped is not None:
        return _is_global(ip.ipv4_mapped)
    if ip.teredo is not None or ip in IPV4_COMPATIBLE or ip in NAT64_LOCAL:
        return False
    embedded = ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None)
    return _is_global(ip) and (embedded is None or _is_global(embedded))


def public_addresses(host, port, resolve=socket.getaddrinfo, is_public=address_is_public):
    """Every address `host` resolves to, or FetchRefused if any of them is private, loopback, link-local or
    reserved (a name with one public and one private answer is refused too). `resolve` is getaddrinfo's
    signature; tests pass their own, so no name is ever looked up outside the machine (and, to reach a server on
    this machine, their own `is_public`)."""
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchFailed(gettext_noop("the site's name could not be found")) from exc
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise FetchFailed(gettext_noop("the site's name could not be found"))
    for address in addresses:
        if not is_public(address):
            raise FetchRefused(gettext_noop("the site is on a private or reserved network address"))
    return addresses


def _target(url):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(gettext_noop("only http and https links can be checked"))
    if parts.username or parts.password:
        raise FetchRefused(gettext_noop("links with a user name or password cannot be checked"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused(gettext_noop("the port is not valid")) from None
    if not parts.hostname:
        raise FetchRefused(gettext_noop("the link has no host"))
    path = parts.path or "/"
    return parts.scheme, parts.hostname, port, path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    headers: dict  # lower-case names
    text: str


def http_get_pinned(*, scheme, address, host, port, target):
    """One GET to `address` (already checked) for `host`, TLS verified against the host name: the Page, its body
    cut at CHANNEL_FETCH_MAX_BYTES and the whole read bounded in time."""
    timeout = urllib3.Timeout(connect=5, read=settings.CHANNEL_FETCH_TIMEOUT)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    default_port = 443 if scheme == "https" else 80
    headers = {
        "Host": host if port == default_port else f"{host}:{port}",
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,text/plain;q=0.9,*/*;q=0.5",
    }
    deadline = time.monotonic() + settings.CHANNEL_FETCH_TIMEOUT * 2
    limit = settings.CHANNEL_FETCH_MAX_BYTES
    try:
        response = pool.urlopen("GET", target, headers=headers, redirect=False, retries=False, preload_content=False)
        body = bytearray()
        for chunk in response.stream(65536):
            body += chunk
            if len(body) >= limit or time.monotonic() > deadline:
                break
        response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        logger.info("Channel check of %s failed: %s", host, type(exc).__name__)
        raise FetchFailed(gettext_noop("the site did not answer in time or closed the connection")) from exc
    finally:
        pool.close()
    headers = {name.lower(): value for name, value in response.headers.items()}
    text = bytes(body[:limit]).decode("utf-8", "replace")
    return Page(url=f"{scheme}://{host}:{port}{target}", status=response.status, headers=headers, text=text)


def fetch_text(url, resolve=socket.getaddrinfo):
    """The text at `url`, following a few redirects, each hop checked as the first; an error answer is a failure."""
    page = fetch_page(url, resolve=resolve)
    if page.status >= 400:
        logger.info("Channel check of %s: HTTP %s", page.url, page.status)
        raise FetchFailed(gettext_noop("the page answered with an error (it may be missing or private)"))
    return page.text


def fetch_page(url, *, resolve=socket.getaddrinfo, is_public=address_is_public):
    """The answer at `url` (any status: a missing robots.txt is an answer too) with its headers, following a few
    redirects, each hop checked as the first. `page.url` is where it was finally read."""
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, target = _target(url)
        address = public_addresses(host, port, resolve, is_public)[0]
        page = http_get_pinned(scheme=scheme, address=address, host=host, port=port, target=target)
        location = page.headers.get("location")
        if page.status in REDIRECTS and location:
            url = urljoin(url, location)
            continue
        return Page(url=url, status=page.status, headers=page.headers, text=page.text)
    raise FetchFailed(gettext_noop("the link redirects too many times"))
