"""The server error page (handler500): Django's, unless the error passes with time.

It is the one place that sees every unhandled error, raised in a view or in a middleware (the
page cache's version read, the session's), so a full database pool answers 503 with a reason
and Retry-After everywhere instead of a 500. JSON endpoints answer it as JSON themselves
(timeline/views/json_api.py).
"""

import sys

from django.http import HttpResponse
from django.template import loader
from django.views import defaults

from .errors import database_busy


def server_error(request):
    busy = database_busy(sys.exc_info()[1])
    if busy is None:
        return defaults.server_error(request)
    # Rendered without the request: its context processors could need the database.
    context = {"title": "Busy", "heading": "503: busy for a moment", "message": busy.message}
    page = loader.get_template("500.html").render(context)
    response = HttpResponse(page, status=busy.status, headers=busy.headers)
    response["Cache-Control"] = "no-store"
    return response
