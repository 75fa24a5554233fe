"""Keeps requests made on behalf of the catalogue's data out of private networks.

A record's URL is whatever a repository wrote: `http://127.0.0.1:8080/admin?token=…`, a name
that resolves to 10.0.0.5, or a public page redirecting to 169.254.169.254. The link checker
(oerhub/enrich/links.py) visits such URLs and publishes what they answered, so it only connects to
public addresses:

- `url_problem` resolves a URL's host (DNS) and names the first address that is not public
  (loopback, private, link-local, multicast, unspecified, reserved, shared, or one of these
  inside an IPv6 wrapping); the link checker asks before every hop of a redirect chain;
- `GuardedAdapter`, mounted on a requests session, checks the address each new connection
  actually reached, so a redirect requests follows by itself (robots.txt) or a DNS answer that
  changed since the check (rebinding) cannot get in either. Through a proxy, the proxy
  connects: there the check of the URL's host is what remains.

ALLOW_ENV (`OERHUB_LINKS_ALLOW_PRIVATE`) lets some in: `1` (or true, yes, all) for every
address, or a comma-separated list of addresses and networks (`10.0.0.0/8, 127.0.0.1`), for a
catalogue of an intranet; the tests' loopback servers use it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

ALLOW_ENV = "OERHUB_LINKS_ALLOW_PRIVATE"
_EVERYTHING = {"1", "true", "yes", "all"}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Allowance:
    """Which non-public addresses may be visited anyway: all of them, or these networks."""

    everything: bool = False
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def admits(self, address: IPAddress) -> bool:
        return self.everything or any(address in network for network in self.networks)


def allowance(value: str | None = None) -> Allowance:
    """The allowance ALLOW_ENV gives (or `value`); a malformed entry is a ValueError."""
    text = (os.environ.get(ALLOW_ENV, "") if value is None else value).strip()
    if not text or text.lower() in ("0", "false", "no"):
        return Allowance()
    if text.lower() in _EVERYTHING:
        return Allowance(everything=True)
    try:
        return Allowance(networks=tuple(ipaddress.ip_network(part.strip(), strict=False)
                                        for part in text.split(",") if part.strip()))
    except ValueError as exc:
        raise ValueError(f"{ALLOW_ENV}={text!r}: {exc} (give 1 for every address, or "
                         "addresses and networks such as 10.0.0.0/8, comma-separated)") from None


def kind_of(address: IPAddress) -> str | None:
    """What makes `address` not public ("a loopback address" …), None for a public one."""
    for inner in _embedded(address):
        kind = kind_of(inner)
        if kind:
            return kind
    checks = (("loopback", address.is_loopback), ("link-local", address.is_link_local),
              ("multicast", address.is_multicast), ("unspecified", address.is_unspecified),
              ("private", address.is_private), ("reserved", address.is_reserved),
              ("non-public", not address.is_global))
    name = next((name for name, hit in checks if hit), None)
    return None if name is None else f"{'an' if name[0] in 'aeiou' else 'a'} {name} address"


def _embedded(address: IPAddress) -> list[IPAddress]:
    """IPv4 addresses an IPv6 one carries (mapped, NAT64, 6to4, Teredo): checked as well."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[IPAddress] = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    return found


def address_problem(address: str, allow: Allowance) -> str | None:
    """Why `address` (an IP literal) may not be visited, None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # fe80::1%eth0
    except ValueError:
        return None
    kind = kind_of(ip)
    if kind is None or allow.admits(ip):
        return None
    return kind


def url_problem(url: str, allow: Allowance | None = None) -> str | None:
    """Why `url` may not be visited: its host resolves to a non-public address.

    None when every address is public (or allowed), and when the name does not resolve: the
    request then fails on its own and says so.
    """
    allow = allowance() if allow is None else allow
    if allow.everything:
        return None
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        return None
    for info in infos:
        address = str(info[4][0])
        problem = address_problem(address, allow)
        if problem:
            return problem if host == address else f"{host} resolves to {problem}"
    return None


# --- every connection --------------------------------------------------------------------------

class RefusedAddress(OSError):
    """A connection reached an address ALLOW_ENV does not let in; it was closed unused."""


def _checked(sock: socket.socket, allow: Allowance) -> socket.socket:
    peer = sock.getpeername()[0]
    problem = address_problem(str(peer), allow)
    if problem:
        sock.close()
        raise RefusedAddress(f"refused to connect to {problem} (set {ALLOW_ENV} to allow it)")
    return sock


def _guarded(base: type[HTTPConnection], allow: Allowance) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            return _checked(super()._new_conn(), allow)
    Guarded.__name__ = f"Guarded{base.__name__}"
    return Guarded


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose direct connections are checked once connected."""

    def __init__(self, allow: Allowance, **kwargs: Any) -> None:
        self.allow = allow
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type("GuardedHTTPPool", (HTTPConnectionPool,),
                    {"ConnectionCls": _guarded(HTTPConnection, self.allow)})
        https = type("GuardedHTTPSPool", (HTTPSConnectionPool,),
                     {"ConnectionCls": _guarded(HTTPSConnection, self.allow)})
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def guard_session(session: requests.Session, allow: Allowance | None = None) -> None:
    """Mount GuardedAdapter on `session` for http and https (nothing to do when all is allowed)."""
    allow = allowance() if allow is None else allow
    if allow.everything:
        return
    for prefix in ("http://", "https://"):
        session.mount(prefix, GuardedAdapter(allow))


__all__ = ["ALLOW_ENV", "Allowance", "GuardedAdapter", "RefusedAddress", "address_problem",
           "allowance", "guard_session", "kind_of", "url_problem"]
