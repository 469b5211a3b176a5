"""The address phones on the same network use to reach this laptop (offline talks).

When the speaker opens the deck at 127.0.0.1 and the server listens on every interface
(`make run HOST=0.0.0.0`), the remote and follow links must carry the laptop's LAN address
instead, or a phone scanning the QR code would try to reach itself.
"""

import ipaddress

from django.conf import settings

from historyweb.lan import lan_addresses

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
ALL_INTERFACES = {"0.0.0.0", "::", "[::]", "*"}


def is_loopback(host):
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serves_lan():
    """True when `make run HOST=...` bound the server to every interface or a LAN address
    (settings.LIVE_BIND_HOST)."""
    host = settings.LIVE_BIND_HOST
    return host in ALL_INTERFACES or (bool(host) and not is_loopback(host))


def public_base(request):
    """The scheme, host and port followers and the remote should use, and a hint if phones
    cannot reach it. Only a loopback host is ever replaced, and only by a LAN address."""
    host = request.get_host()
    base = f"{request.scheme}://{host}"
    if ":" in host and not host.endswith("]"):
        name, _, port = host.rpartition(":")
    else:  # no port in the Host header (an IPv6 address's colons are inside its brackets)
        name, port = host, request.get_port()
    if not is_loopback(name):
        return base, ""
    if not serves_lan():
        return base, (
            "This server listens on this computer only, so phones cannot open these links. "
            "Restart it with: make run HOST=0.0.0.0"
        )
    addresses = lan_addresses()
    if not addresses:
        return base, "No network found: join the phones and this computer to one Wi-Fi network."
    return f"{request.scheme}://{addresses[0]}:{port}", ""
