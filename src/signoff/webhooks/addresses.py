"""Which addresses a webhook may reach: server-side request forgery protection.

A webhook URL is chosen by a tenant, and the server then makes requests to it from inside
the network. Without a check, ``http://169.254.169.254/`` reads the cloud's instance
credentials and ``http://10.0.0.5:5432/`` probes the database. Only public unicast addresses
are reachable, unless the operator allows a network (``SIGNOFF_WEBHOOKS__ALLOWED_CIDRS``).
The check runs where the connection is made (``transport.py``), on every address a name
resolves to: a check at subscription alone is defeated by DNS that changes its answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance-metadata endpoints (AWS, GCP, Azure; Alibaba; AWS over IPv6; Oracle): most are
# link-local or private anyway, but Oracle's is not, and naming them all makes the refusal
# say what it protects.
CLOUD_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
# IETF protocol assignments (RFC 6890): not globally reachable, although Python's is_global
# says otherwise for most of the block.
_PROTOCOL_ASSIGNMENTS = ipaddress.ip_network("192.0.0.0/24")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are IPv4
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any: these reach
    the IPv4 host, so it is the IPv4 address that must be checked."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_class(address: IPAddress) -> str | None:
    """The kind of non-public address this is ("loopback", "private"...), None if public."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_class(inner)
    checks = (
        (address in CLOUD_METADATA, "cloud-metadata"),
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL, "unique-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _PROTOCOL_ASSIGNMENTS,
            "reserved",
        ),
        (not address.is_global, "not-global"),
    )
    return next((name for matched, name in checks if matched), None)


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str]) -> AddressPolicy:
        return cls(tuple(ipaddress.ip_network(c, strict=False) for c in cidrs))

    def refusal(self, address: IPAddress) -> str | None:
        """Why a connection to ``address`` is refused, or None when it is allowed."""
        kind = address_class(address)
        if kind is None or self._allowed(address):
            return None
        return f"{address} is not a public address ({kind})"

    def _allowed(self, address: IPAddress) -> bool:
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(a in net for a in candidates for net in self.allowed if a.version == net.version)


class InvalidWebhookUrl(ValueError):
    """The URL is not one a webhook can be sent to (the message says why)."""


def check_url(raw: str) -> httpx.URL:
    """Parse a subscription URL: absolute http(s), a host, no credentials, no fragment."""
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        raise InvalidWebhookUrl(f"not a valid URL: {exc}") from exc
    if url.scheme not in ("http", "https"):
        raise InvalidWebhookUrl("the scheme must be http or https")
    if not url.host:
        raise InvalidWebhookUrl("the URL needs a host")
    if url.userinfo:
        raise InvalidWebhookUrl("credentials in the URL are not allowed (deliveries are signed)")
    if url.fragment:
        raise InvalidWebhookUrl("a fragment is never sent; remove it")
    return url


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def refusal_at_subscription(url: httpx.URL, policy: AddressPolicy) -> str | None:
    """What can be refused before any DNS lookup: a literal address, or a loopback name."""
    host = url.host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        address: IPAddress | None = ipaddress.ip_address("127.0.0.1")  # RFC 6761 §6.3
    else:
        address = literal_address(host)
    return policy.refusal(address) if address is not None else None
