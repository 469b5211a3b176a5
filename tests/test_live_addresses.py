"""What the links and QR codes of a live session are made of (timeline/live/lan.py, qr.py)."""

import re

import pytest
import segno
from django.test import RequestFactory

from timeline.live import lan
from timeline.live.qr import qr_svg


@pytest.mark.parametrize(
    ("bind", "serves"),
    [
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.20", True),
        ("laptop.local", True),
        ("127.0.0.1", False),
        ("localhost", False),
        ("[::1]", False),
        ("", False),
    ],
)
def test_the_lan_is_served_when_bound_to_every_interface_or_a_lan_address(settings, bind, serves):
    settings.LIVE_BIND_HOST = bind
    assert lan.serves_lan() is serves


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("ip6-localhost", True),
        ("127.0.0.2", True),
        ("[::1]", True),
        ("::1", True),
        ("192.168.1.20", False),
        ("laptop.local", False),
        # Only an address exactly: nothing around it is stripped but IPv6's brackets.
        ("X127.0.0.1", False),
        ("127.0.0.1X", False),
        (" 127.0.0.1", False),
    ],
)
def test_a_loopback_host_is_a_loopback_name_or_address(host, loopback):
    assert lan.is_loopback(host) is loopback


def test_a_qr_code_is_black_on_white_with_a_quiet_zone_and_scales_to_its_box():
    url = "http://192.168.1.20:8000/live/abcdefghijk/remote/?key=" + "k" * 43
    svg = qr_svg(url, "Remote control").decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ')
    assert 'class="qr"' in svg and "<title>Remote control</title>" in svg
    assert "width=" not in svg and "height=" not in svg
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg)[1])
    # Error correction M or better, and two modules of white around the code.
    assert size == segno.make(url, error="m").symbol_size(border=2)[0]
    assert f'<path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/>' in svg
    assert '<path stroke="#000" d="M2 2.5h7' in svg


@pytest.fixture
def on_a_lan(settings, monkeypatch):
    settings.ALLOWED_HOSTS = ["*"]
    settings.LIVE_BIND_HOST = "0.0.0.0"
    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.1.20", "10.0.0.5"])


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("127.0.0.1:8000", "http://192.168.1.20:8000"),
        ("localhost:8001", "http://192.168.1.20:8001"),
        ("[::1]:8000", "http://192.168.1.20:8000"),
        # No port in the Host header: the request's own.
        ("localhost", "http://192.168.1.20:80"),
        ("[::1]", "http://192.168.1.20:80"),
        # Anything but a loopback host is what the phones reach already.
        ("laptop.local:8000", "http://laptop.local:8000"),
        ("[fe80::1]:8000", "http://[fe80::1]:8000"),
        ("[fe80::1]", "http://[fe80::1]"),
    ],
)
def test_only_a_loopback_host_is_replaced_by_the_first_lan_address(on_a_lan, host, base):
    request = RequestFactory().get("/", HTTP_HOST=host)
    assert lan.public_base(request) == (base, "")


def test_a_loopback_host_is_kept_with_a_hint_when_phones_cannot_reach_it(
    on_a_lan, settings, monkeypatch
):
    request = RequestFactory().get("/", HTTP_HOST="[::1]:8000")
    settings.LIVE_BIND_HOST = "127.0.0.1"
    assert lan.public_base(request) == (
        "http://[::1]:8000",
        "This server listens on this computer only, so phones cannot open these links. "
        "Restart it with: make run HOST=0.0.0.0",
    )
    settings.LIVE_BIND_HOST = "0.0.0.0"
    monkeypatch.setattr(lan, "lan_addresses", lambda: [])
    assert lan.public_base(request) == (
        "http://[::1]:8000",
        "No network found: join the phones and this computer to one Wi-Fi network.",
    )
