"""Project-wide request checks that sit in front of every view."""

from django.http import HttpResponseBadRequest


class RejectNullCharactersMiddleware:
    """Answer 400 to a NUL character in the path or query string.

    PostgreSQL text cannot hold NUL, so a search for "a%00b" (the timeline's ?q=, the admin's
    search) would otherwise end in a DataError and a 500. Form fields already refuse NUL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "Null characters are not allowed in addresses.", content_type="text/plain"
            )
        return self.get_response(request)
