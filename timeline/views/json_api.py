"""The JSON endpoints' request plumbing: reading a JSON object from a hostile client, and
answering a ServiceError (historyweb/errors.py) with its status and Retry-After.

Views raise instead of returning an error response: `read_json_object` raises InvalidBody,
the runner raises Busy and SandboxUnavailable, and `json_endpoint` turns any of them into the
view's JSON answer.
"""

import functools
import inspect
import json

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import JsonResponse

from historyweb.errors import ServiceError, database_busy

MESSAGES = {
    "bad_length": "The Content-Length header is not a number.",
    "too_large": "The request body is too long.",
    "not_json": "The body is not valid JSON.",
    "not_object": "Send a JSON object.",
    "unknown": "Unknown field “{name}”: send only {allowed}.",
    "wrong_type": "“{name}” must be a string.",
    "too_deep": "The body is nested too deeply.",
    "not_unicode": "“{name}” is not valid Unicode text (it holds a lone surrogate).",
}


class InvalidBody(ServiceError):
    """The request body was refused before anything was done with it: 400, or 413 when it is
    too large."""

    status = 400


def read_json_object(request, fields, max_bytes, max_depth, messages=None):
    """The body's JSON object as {name: value} for every name in `fields` (None when absent);
    raises InvalidBody saying what is wrong.

    Everything here is a hostile client's to choose: the size, the nesting, the types, and
    text that is not Unicode (a lone surrogate escaped as \\ud800 is valid JSON). `fields` maps
    each name the body may hold to `str` (the value must be text) or to None (any JSON value
    no deeper than `max_depth`, the object itself being 1, whose text is checked here and
    whose meaning the caller checks). `messages` rewords any of MESSAGES.
    """
    messages = MESSAGES | (messages or {})
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise InvalidBody(messages["bad_length"]) from None
    too_large = InvalidBody(messages["too_large"], status=413)
    if length > max_bytes:
        raise too_large
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > max_bytes:
        raise too_large
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise InvalidBody(messages["not_json"]) from None
    if not isinstance(data, dict):
        raise InvalidBody(messages["not_object"])
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InvalidBody(messages["unknown"].format(name=unknown[0][:40], allowed=_listed(fields)))
    for name, kind in fields.items():
        value = data.get(name)
        if value is None:
            continue
        if kind is str and not isinstance(value, str):
            raise InvalidBody(messages["wrong_type"].format(name=name))
        _check_nested(value, name, max_depth, messages)
    return {name: data.get(name) for name in fields}


def _listed(names):
    """“a”, “b” and “c”."""
    quoted = [f"“{name}”" for name in names] or ["nothing"]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _check_nested(value, name, max_depth, messages):
    """Every container within `max_depth` and every string (keys too) valid Unicode."""
    pending = [(value, 2)]  # a field's value sits one level inside the body's object
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if not is_unicode(value):
                raise InvalidBody(messages["not_unicode"].format(name=name))
        elif isinstance(value, (list, dict)):
            if depth > max_depth:
                raise InvalidBody(messages["too_deep"])
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    pending.append((key, depth))
                pending.append((item, depth + 1))


def is_unicode(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def error_body(request, error, *args, **kwargs):
    return {"error": error.message}


def add_error_headers(response, error):
    """The error's own headers (Retry-After) on a response made for it; returns the response."""
    for name, value in error.headers.items():
        response[name] = value
    return response


def busy_or_raise(error):
    """A full connection pool's 503 (it passes with the load); any other database error is
    raised on, a 500."""
    busy = database_busy(error)
    if busy is None:
        raise error
    return busy


def json_endpoint(view=None, *, body=error_body):
    """Decorate a view (sync or async) so that a ServiceError it raises, or a full database
    pool, is answered as JSON:
    `body(request, error, *view's arguments)` gives the object ({"error": message} unless
    told otherwise), with the error's status and Retry-After.

    Put it below never_cache and the other decorators, so they apply to error answers too.
    """
    if view is None:
        return functools.partial(json_endpoint, body=body)

    def answer(request, error, args, kwargs):
        response = JsonResponse(body(request, error, *args, **kwargs), status=error.status)
        return add_error_headers(response, error)

    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request, *args, **kwargs):
            try:
                return await view(request, *args, **kwargs)
            except ServiceError as error:
                return answer(request, error, args, kwargs)
            except DatabaseError as error:
                return answer(request, busy_or_raise(error), args, kwargs)

        return async_wrapper

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ServiceError as error:
            return answer(request, error, args, kwargs)
        except DatabaseError as error:
            return answer(request, busy_or_raise(error), args, kwargs)

    return wrapper
