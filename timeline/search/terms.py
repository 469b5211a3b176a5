"""Names a learner searches for that belong to one era more than to every era that uses them:
the API an era defined, the tools that are its typical servers. A match ranks that era first
among those the words find. Keys are whole words as the index cuts them (see words.py)."""

DEFINED_BY = {
    "wsgi": {
        "start_response",
        "environ",
        "wsgiref",
        "make_server",
        "wsgi.input",
        "wsgi.errors",
        "wsgi.url_scheme",
        "pep-333",
        "pep-3333",
        "wsgi.version",
        "write",
    },
    "asgi": {
        "scope",
        "receive",
        "send",
        "uvicorn",
        "hypercorn",
        "daphne",
        "asyncio",
        "lifespan",
        "http.request",
        "http.response.start",
        "http.response.body",
        "coroutine",
        "await",
    },
    "cgi": {"cgi-bin", "rfc-3875", "rfc3875", "nph", "query_string", "gateway_interface"},
    "http": {"telnet", "request-line"},
    "mod-python": {"apache", "handler", "req.write"},
    "fastcgi": {"fcgi", "flup"},
    "django-channels": {"websocket", "websockets", "consumer", "consumers"},
    "tornado": {"ioloop", "long-polling"},
    "twisted": {"reactor", "deferred", "deferreds"},
    "gunicorn": {"pre-fork", "prefork", "worker", "workers"},
    "fastapi": {"pydantic", "openapi", "type-hints"},
    "flask": {"werkzeug", "jinja2", "blueprint", "blueprints"},
}
TERMS = {word: slug for slug, words in DEFINED_BY.items() for word in words}
