"""Learner queries and the page each one wants, for measuring the search (tests/test_search_eval.py
and `make bench-search`). Written as a reader of the site would ask, not from the ranking code:
none is one of the examples the search was built around.

A wanted page is "era:<slug>", "exercise:<slug>" or "page:<url name>"; a slide or sample result
is on its era's page, so it counts as that page."""

from django.urls import reverse

QUERIES = [
    ("first version of http", "era:http-0-9"),
    ("http 0.9", "era:http-0-9"),
    ("when did http get status codes", "era:http-1-0"),
    ("rfc 1945", "era:http-1-0"),
    ("keep-alive persistent connections", "era:http-1-1"),
    ("host header", "era:http-1-1"),
    ("chunked transfer encoding", "era:http-1-1"),
    ("http/1.1", "era:http-1-1"),
    ("tim berners-lee cern", "era:http"),
    ("common gateway interface", "era:cgi"),
    ("cgi-bin script", "era:cgi"),
    ("QUERY_STRING", "era:cgi"),
    ("fast cgi", "era:fastcgi"),
    ("flup", "era:fastcgi"),
    ("zope object publishing", "era:zope"),
    ("python inside apache", "era:mod-python"),
    ("mod python", "era:mod-python"),
    ("ptl templates", "era:quixote"),
    ("servlets in python", "era:webware"),
    ("python server pages", "era:webware"),
    ("reactor and deferreds", "era:twisted"),
    ("event driven networking engine", "era:twisted"),
    ("cherrypy object oriented", "era:cherrypy"),
    ("pep 333", "era:wsgi"),
    ("web server gateway interface", "era:wsgi"),
    ("django admin", "era:django"),
    ("who created django", "era:django"),
    ("newspaper framework", "era:django"),
    ("paste and routes", "era:pylons"),
    ("ancestor of pyramid", "era:pylons"),
    ("megaframework", "era:turbogears"),
    ("sqlobject kid mochikit", "era:turbogears"),
    ("aaron swartz", "era:web-py"),
    ("apache wsgi module", "era:mod-wsgi"),
    ("daemon mode apache", "era:mod-wsgi"),
    ("teaching framework", "era:web2py"),
    ("framework in a single file with no dependencies", "era:bottle"),
    ("friendfeed", "era:tornado"),
    ("non-blocking web server", "era:tornado"),
    ("uwsgi emperor", "era:uwsgi"),
    ("how does the uwsgi protocol work", "era:uwsgi"),
    ("werkzeug and jinja", "era:flask"),
    ("microframework", "era:flask"),
    ("pre-fork worker model", "era:gunicorn"),
    ("ruby unicorn", "era:gunicorn"),
    ("repoze.bfg", "era:pyramid"),
    ("traversal", "era:pyramid"),
    ("asynchronous server gateway interface", "era:asgi"),
    ("websockets in django", "era:django-channels"),
    ("andrew godwin", "era:django-channels"),
    ("pydantic", "era:fastapi"),
    ("openapi docs", "era:fastapi"),
    ("little asgi library", "era:starlette"),
    ("ravyn", "era:esmerald"),
    ("class-based controllers", "era:esmerald"),
    ("djano", "era:django"),
    ("tornadoo", "era:tornado"),
    ("pyramdi", "era:pyramid"),
    ("starlete", "era:starlette"),
    ("gunicorn workers", "era:gunicorn"),
    ("wsgi middleware exercise", "exercise:wsgi-middleware"),
    ("flask route with a variable", "exercise:flask-route"),
    ("typed path parameter", "exercise:fastapi-path"),
    ("cgi greeting exercise", "exercise:cgi-greeting"),
    ("bottle json endpoint", "exercise:bottle-books"),
    ("write a raw asgi app", "exercise:asgi-hello"),
    ("speak http by hand", "exercise:http-1-0-request"),
    ("the same app in every era", "page:timeline:evolution"),
    ("list of exercises", "page:timeline:exercises"),
]
TOP = 3
TARGET = 0.95


def wanted_path(wanted):
    kind, _, name = wanted.partition(":")
    if kind == "era":
        return reverse("timeline:era", args=[name])
    if kind == "exercise":
        return reverse("timeline:exercise", args=[name])
    return reverse(name)


def evaluate(search):
    """(hit rate, misses): the share of QUERIES whose wanted page is in the top TOP results."""
    misses = []
    for query, wanted in QUERIES:
        top = [result.url.partition("#")[0] for result in search(query).ranked[:TOP]]
        if wanted_path(wanted) not in top:
            misses.append((query, wanted, top))
    return 1 - len(misses) / len(QUERIES), misses
