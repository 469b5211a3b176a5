"""This machine's addresses on its local networks: `make run` allows them as host names
(settings/dev.py), and live sessions put them in the links phones open (timeline/live/lan.py).
"""

import ipaddress
import socket


def lan_addresses():
    """This machine's IPv4 addresses on its networks, the one with the default route first.

    Connecting a UDP socket sends no packet; it only asks the kernel which local address
    would be used, so it works with no internet (the network needs a route, as Wi-Fi has).
    """
    found = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    usable = []
    for address in found:
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local) and address not in usable:
            usable.append(address)
    return usable
