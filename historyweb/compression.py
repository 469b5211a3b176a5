"""Compressed responses: brotli or gzip, chosen by the client's Accept-Encoding.

Cached pages are compressed once, when stored, at a high level (historyweb/page_cache.py keeps
each variant beside the plain one); CompressionMiddleware compresses every other response on
the fly at a cheaper level. Static files are not touched here: whitenoise serves them from
the .br and .gz files collectstatic wrote.

BREACH: an attacker who can put text into a page (a search term echoed back) and watch the
compressed size can recover a secret in the same page byte by byte, because a guess that
matches the secret compresses better. So a response is sent uncompressed when it may hold a
secret: when a CSRF token was rendered into it (the login form, the no-JavaScript run form,
the token endpoint), when the visitor has a session (the admin: tokens and echoed input on
every page), or when it is marked private (never_cache: made for one visitor, such as a live
session's remote with its control key, or a run's result). What is left is public, the same
for everyone, so it holds no secret: the content pages (the Run button fetches its token from
the uncompressed endpoint), error pages, and so on.
"""

import gzip

import brotli
from django.conf import settings
from django.utils.cache import patch_vary_headers
from django.utils.regex_helper import _lazy_re_compile

# Server preference, best first; the client's q-values only say what it refuses (q=0).
ENCODINGS = ("br", "gzip")
MIN_SIZE = 256  # below this, the headers cost more than compression saves
STORED_LEVELS = {"br": 9, "gzip": 9}  # once per page and content version: worth the time
LIVE_LEVELS = {"br": 5, "gzip": 6}  # per response: fast
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")
_token = _lazy_re_compile(r"\s*([^\s;,]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")


def accepted(request, available=ENCODINGS):
    """The best of `available` that the request accepts, or None for the plain body."""
    header = request.headers.get("Accept-Encoding", "")
    quality = {}
    for part in header.split(","):
        match = _token.fullmatch(part)
        if not match:
            continue
        try:
            q = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            q = 0.0
        quality[match.group(1).lower()] = q
    for encoding in available:
        if quality.get(encoding, quality.get("*", 0.0)) > 0:
            return encoding
    return None


def compress(content, encoding, levels=LIVE_LEVELS):
    if encoding == "br":
        return brotli.compress(content, quality=levels["br"])
    # mtime=0: the same page gives the same bytes on every server.
    return gzip.compress(content, compresslevel=levels["gzip"], mtime=0)


def variants(content):
    """{encoding: body} for a page to store: the plain body, and each compressed one that is
    smaller."""
    found = {None: content}
    if len(content) >= MIN_SIZE:
        for encoding in ENCODINGS:
            packed = compress(content, encoding, STORED_LEVELS)
            if len(packed) < len(content):
                found[encoding] = packed
    return found


def holds_a_secret(request, response):
    """A CSRF token was rendered into this response, the visitor is logged in (or may be), or
    the response is private to one visitor: compressing it would open it to BREACH. (Django
    sends the CSRF cookie with every response that used the token, so the cookie tells.)"""
    return bool(
        settings.CSRF_COOKIE_NAME in response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or "private" in response.get("Cache-Control", "")
    )


def compressible(response):
    content_type = response.get("Content-Type", "").lower()
    return (
        not response.streaming
        and not response.has_header("Content-Encoding")
        and response.status_code not in (204, 206, 304)
        and content_type.startswith(COMPRESSIBLE)
        and len(response.content) >= MIN_SIZE
    )


class CompressionMiddleware:
    """Compress responses that no cache compressed before, unless they hold a secret."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not compressible(response) or holds_a_secret(request, response):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        encoding = accepted(request)
        if encoding is None:
            return response
        packed = compress(response.content, encoding)
        if len(packed) >= len(response.content):
            return response
        response.content = packed
        response["Content-Length"] = str(len(packed))
        response["Content-Encoding"] = encoding
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response["ETag"] = "W/" + etag  # no longer the same bytes
        return response
