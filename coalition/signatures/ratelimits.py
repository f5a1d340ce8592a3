from django.conf import settings
from django_ratelimit.core import is_ratelimited

from coalition.core.models import Switches

from .services import COMMON_DOMAINS


def _rates(switches):
    # The caller may pass the switches it already read for this request: one Redis read fewer per limit.
    if switches is None:
        switches = Switches.current()
    return settings.SIGN_RATES_UNDER_ATTACK if switches.under_attack else settings.SIGN_RATES


def _hit(request, *, kind, key, rates):
    # Every rate is counted, even after one is exceeded, so a sustained flood stays limited.
    results = [
        is_ratelimited(request, group=f"sign:{kind}:{rate}", key=key, rate=rate, method="POST", increment=True)
        for rate in rates
    ]
    return any(results)


def sign_ip_limited(request, *, switches=None):
    return _hit(request, kind="ip", key="ip", rates=_rates(switches)["ip"])


def sign_domain_limited(request, *, email, switches=None):
    domain = email.rsplit("@", 1)[-1]
    if domain in COMMON_DOMAINS:
        # Millions share these: a flood from one of them is the IP limit's to catch, not a reason to turn
        # every real Gmail signer away.
        return False
    # Catch-all domains hand out subdomains: they share one limit (an approximation of the registrable domain).
    domain = ".".join(domain.split(".")[-2:])
    return _hit(request, kind="domain", key=lambda group, request: domain, rates=_rates(switches)["domain"])
