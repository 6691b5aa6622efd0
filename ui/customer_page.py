"""The customer order page's address, as a phone must type or scan it, and its QR code.

The dashboard talks to the backend over loopback when it runs it itself; a phone cannot
reach 127.0.0.1, so the address given to customers names this computer's address on
the restaurant's network instead (the backend must then listen on it: ``--host
0.0.0.0``, README "Customer pages"). Nor can it open 0.0.0.0 or ``::``: they say "every
address of this computer" to a server, and are no address a phone can go to.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import quote, urlsplit

import segno

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
UNSPECIFIED_NAMES = frozenset({"0.0.0.0", "::"})
# Any public address: connecting a UDP socket sends nothing, it only picks the
# interface (and so the address) this computer would reach the network through.
_PROBE = ("192.0.2.1", 9)  # TEST-NET-1 (RFC 5737)


def lan_address() -> str | None:
    """This computer's address on its network, or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_PROBE)
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback else address


def is_loopback(api_url: str) -> bool:
    """True when ``api_url`` names no address a phone can reach: loopback, or the
    unspecified address a backend started with ``--host 0.0.0.0`` is reached at."""
    host = urlsplit(api_url).hostname or ""
    return host in LOOPBACK_NAMES or host.startswith("127.") or listens_everywhere(api_url)


def listens_everywhere(api_url: str) -> bool:
    """True when ``api_url``'s host is 0.0.0.0 or ``::`` (the backend then already
    listens on the LAN)."""
    return (urlsplit(api_url).hostname or "") in UNSPECIFIED_NAMES


def order_page_url(api_url: str, lan: str | None = None, table: str | None = None) -> str:
    """The order page of the backend at ``api_url`` (its /graphql address), reached
    through ``lan`` when the dashboard reaches the backend over loopback; ``table``
    adds ``?table=`` for a table's own code (dine in at that table)."""
    parts = urlsplit(api_url)
    host = parts.hostname or "127.0.0.1"
    if lan is not None and is_loopback(api_url):
        host = lan
    elif host in UNSPECIFIED_NAMES:
        host = "127.0.0.1"  # no LAN: at least this computer's own browser opens it
    shown = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    url = f"{parts.scheme}://{shown}{port}/"
    if table:
        url += f"?table={quote(table, safe='')}"
    return url


def qr_png(url: str, scale: int = 8) -> bytes:
    """The QR code of ``url`` as PNG, with the standard quiet zone (medium error level:
    a printed card survives a little wear)."""
    import io

    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
