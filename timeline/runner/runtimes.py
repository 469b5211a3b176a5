"""The one list of runtimes: the model's choices, what the runner accepts, what the views show."""

from django.db import models


class Runtime(models.TextChoices):
    NONE = "none", "Not runnable"
    PYTHON = "python", "Python script"
    CGI = "cgi", "CGI script"
    WSGI = "wsgi", "WSGI application"
    ASGI = "asgi", "ASGI application"


# What the sandbox can run (harness.RUNNERS has the same names), and which of those answer an
# HTTP request (a request to send; a response, not a stream, to show).
RUNNABLE = frozenset(Runtime.values) - {Runtime.NONE}
HTTP = frozenset({Runtime.CGI, Runtime.WSGI, Runtime.ASGI})

# The most code a run takes; an editor is told when saving a runnable sample longer than this.
MAX_CODE_CHARS = 64 * 1024
