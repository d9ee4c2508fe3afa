"""The address a request came from, as the lockout, the rate limits and /healthz see it.

Behind the city's reverse proxy every request comes from the proxy: the client is in
X-Forwarded-For, which each proxy appends to. Only the entries the trusted proxies
wrote can be believed (anything to their left is whatever the client sent), so with
`TRUSTED_PROXY_COUNT=N` the client is the N-th entry from the right. With 0, the
default, the header is ignored: a client could otherwise pick its own address and
dodge the lockout. The addresses of a school's NAT are private ones (10.x), so no
"prefer a public address" rule applies here, unlike general-purpose IP libraries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping


def client_ip_from(meta: Mapping[str, str], *, proxy_count: int) -> str | None:
    """The client's address from a request's META, or None when it is not one."""
    remote = _address(meta.get("REMOTE_ADDR", ""))
    if proxy_count <= 0:
        return remote
    chain = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in chain if part]
    if len(chain) < proxy_count:
        # Not through the proxies as configured (a request from inside the network):
        # the connection's own address is the only one known.
        return remote
    return _address(chain[-proxy_count])


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address for `request` (settings.TRUSTED_PROXY_COUNT proxies)."""
    from django.conf import settings

    return client_ip_from(request.META, proxy_count=settings.TRUSTED_PROXY_COUNT)


def ip_allowed(address: str | None, allowed: list[str]) -> bool:
    """Whether `address` is in one of the networks (or is one of the addresses)."""
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in allowed)
