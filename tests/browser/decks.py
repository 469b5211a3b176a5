"""A small deck for the presenter's browser tests: two eras, six slides, short and long code."""

from ..factories import make_era, make_sample, make_slide, make_talk

LONG_CODE = (
    "def app(environ, start_response):\n"
    + "".join(f'    header_{i} = environ.get("HTTP_X_{i}", "fallback {i}")\n' for i in range(60))
    + '    start_response("200 OK", [("Content-Type", "text/plain")])\n'
    + '    return [b"the very last line"]\n'
)
WIDE_CODE = (
    "total = " + " + ".join(f"value_{i}" for i in range(80)) + "  # the end of a wide line\n"
)


def make_deck():
    """CGI (title + 2 slides) then WSGI (title + 2 slides): six slides in all."""
    cgi = make_era(slug="cgi", title="CGI", year=1993, kind="interface", summary="A process.")
    make_slide(cgi, order=1, title="Scripts in cgi-bin", notes="Mention **NCSA HTTPd**.")
    short = make_slide(cgi, order=2, title="A CGI script", notes="Read it aloud.")
    make_sample(cgi, slide=short, title="Hello CGI", code='print("Content-Type: text/plain")\n')
    wsgi = make_era(slug="wsgi", title="WSGI", year=2003, kind="interface", summary="A callable.")
    long = make_slide(wsgi, order=1, title="A long application", notes="Scroll if needed.")
    make_sample(wsgi, slide=long, title="Long app", code=LONG_CODE)
    wide = make_slide(wsgi, order=2, title="A wide line", notes="Long notes. " * 250)
    make_sample(wsgi, slide=wide, title="Wide", code=WIDE_CODE)
    return [cgi, wsgi]


def make_deck_talk():
    eras = make_deck()
    return make_talk(eras, slug="short", title="Short talk", duration_minutes=6)
