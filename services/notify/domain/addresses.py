"""Where a subscription may point (issue 12, items 2 and 3).

Webhook URLs and mailboxes are judged as text here, once when subscribing and again
before every send (rows written by an older version were never checked). Network
addresses are judged here too: a webhook may reach only global unicast addresses, unless
an operator's allow-list names the destination. Pure: resolving a name is the adapters'
job; this module only judges what they found.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Unicode categories never valid in an address: controls (CR, LF, NUL...), format
# characters (bidi overrides, zero-width), separators (any whitespace), private-use,
# surrogates and unassigned code points.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cs", "Cn"}
# RFC 3986 userinfo: unreserved, pct-encoded, sub-delims and ":" (so never "@", "\" or "/").
_USERINFO = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:%]*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# WHATWG URL: a host whose last label is a number is an IPv4 address in some notation
# (2130706433, 0x7f.1, 127.1); only the plain dotted quad is unambiguous.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
# RFC 5322 dot-atom local part: no quoted strings, comments or display names.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class AddressError(ValueError):
    """Why an address is refused, in words fit for a 422 or a delivery log."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str  # lower-case; an IPv6 literal without brackets
    port: int
    ip: IPAddress | None  # the host, when it is a literal address


def _refuse_hidden_characters(text: str) -> None:
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise AddressError(f"contains a control or whitespace character (U+{ord(char):04X})")


def parse_webhook_url(address: str) -> WebhookTarget:
    """The URL's scheme, host and port, or :class:`AddressError`."""
    _refuse_hidden_characters(address)
    if "\\" in address:
        raise AddressError("contains a backslash")
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError as exc:
        raise AddressError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise AddressError("must be an http:// or https:// URL")
    userinfo, _, _ = parts.netloc.rpartition("@")
    if userinfo and not _USERINFO.fullmatch(userinfo):
        raise AddressError("has a user-info part with characters a URL may not carry there")
    host = parts.hostname or ""
    if not host:
        raise AddressError("has no host")
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if port == 0:
        raise AddressError("has port 0")
    return WebhookTarget(parts.scheme, host, port, _literal_ip(host, parts.netloc))


def _literal_ip(host: str, netloc: str) -> IPAddress | None:
    if "[" in netloc:
        if "%" in host:
            raise AddressError("has an IPv6 zone identifier")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise AddressError(f"has an invalid IPv6 host [{host}]") from None
    labels = host.removesuffix(".").split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return ipaddress.IPv4Address(host.removesuffix("."))
        except ValueError:
            raise AddressError(f"has a numeric host {host!r} not in dotted-quad form") from None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressError(f"has an invalid host name {host!r}") from None
    ascii_labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in ascii_labels):
        raise AddressError(f"has an invalid host name {host!r}")
    return None


def check_mailbox(address: str) -> None:
    """A single bare addr-spec (``local@domain``), or :class:`AddressError`."""
    _refuse_hidden_characters(address)
    local, at, domain = address.rpartition("@")
    if not at or len(address) > 254:
        raise AddressError("must be a single mailbox, local@domain")
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        raise AddressError("must be a bare mailbox (no display name, quotes or lists)")
    labels = domain.lower().split(".")
    if len(domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise AddressError(f"has an invalid mail domain {domain!r}")


def non_global(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address a webhook may reach, or None.

    IPv6 forms that carry an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64) are
    judged by that address too: ``::ffff:127.0.0.1`` is loopback.
    """
    for candidate in (*_embedded_ipv4(ip), ip):  # the embedded IPv4 address says most
        for name in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
            if getattr(candidate, f"is_{name}"):
                return name.replace("_", "-")
        if isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local:
            return "site-local"
        if not candidate.is_global:  # CGNAT 100.64/10 and the other special-purpose blocks
            return "not globally routable"
    return None


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64 or (ip in _V4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


@dataclass(frozen=True)
class AllowEntry:
    """One allow-list entry: a host name or an address/network, on any port or one."""

    host: str | None
    network: IPNetwork | None
    port: int | None

    def matches(self, host: str, ip: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return self.host == host.lower().removesuffix(".")
        assert self.network is not None
        plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
        return plain.version == self.network.version and plain in self.network


def parse_allow_entry(text: str) -> AllowEntry:
    """``host``, ``host:port``, ``10.0.0.0/8``, ``127.0.0.1:8080``, ``[::1]:8080``, ``fc00::/7``."""
    entry = text.strip().lower()
    port: int | None = None
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        entry = inside
        if rest:
            port = _port(rest.removeprefix(":"), text)
    elif entry.count(":") == 1:
        entry, _, given = entry.partition(":")
        port = _port(given, text)
    try:
        return AllowEntry(None, ipaddress.ip_network(entry, strict=False), port)
    except ValueError:
        pass
    if not entry or not all(_LABEL.fullmatch(label) for label in entry.split(".")):
        raise ValueError(f"webhook allow-list entry {text!r} is not a host, address or network")
    return AllowEntry(entry, None, port)


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"webhook allow-list entry {entry!r} has an invalid port")
    return int(text)


@dataclass(frozen=True)
class Destinations:
    """Which addresses a webhook may reach: public unicast ones, and what the operator's
    allow-list names (empty in production; a test's local receiver, say)."""

    allowed: tuple[AllowEntry, ...] = ()

    @classmethod
    def parse(cls, entries: tuple[str, ...] | list[str]) -> Destinations:
        return cls(tuple(parse_allow_entry(e) for e in entries if e.strip()))

    def refusal(self, host: str, ip: IPAddress, port: int) -> str | None:
        """Why a webhook may not connect to ``ip`` (for ``host``) on ``port``, or None."""
        reason = non_global(ip)
        if reason is None or any(e.matches(host, ip, port) for e in self.allowed):
            return None
        return f"{ip} port {port} is {reason} and not in the webhook allow-list"
