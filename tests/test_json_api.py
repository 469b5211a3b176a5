"""The JSON endpoints' plumbing (timeline/views/json_api.py): one reader for a hostile client's
body, and one decorator that answers a ServiceError with its status and Retry-After."""

import asyncio
import json

import pytest
from django.test import RequestFactory

from historyweb.errors import ServiceError
from timeline.runner.sandbox import SandboxUnavailable
from timeline.runner.service import Busy
from timeline.views.json_api import InvalidBody, json_endpoint, read_json_object

FIELDS = {"code": str, "data": None}
NOT_UNICODE = "is not valid Unicode text (it holds a lone surrogate)."


def post(body, **extra):
    body = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    return RequestFactory().post("/", body, content_type="application/json", **extra)


def refusal(body, max_bytes=200_000, max_depth=3, **extra):
    with pytest.raises(InvalidBody) as refused:
        read_json_object(post(body, **extra), FIELDS, max_bytes, max_depth)
    return refused.value.status, refused.value.message


def test_every_field_comes_back_and_absent_ones_are_none():
    data = read_json_object(post('{"data": [1, {"a": "b"}]}'), FIELDS, 1000, 3)
    assert data == {"code": None, "data": [1, {"a": "b"}]}
    assert read_json_object(post(""), FIELDS, 1000, 3) == {"code": None, "data": None}


@pytest.mark.parametrize(
    "body, message",
    [
        ("[" * 100_000, "The body is not valid JSON."),
        ("{", "The body is not valid JSON."),
        (b"\xff\xfe{}", "The body is not valid JSON."),
        ("[]", "Send a JSON object."),
        ('{"code": "x", "shell": 1}', "Unknown field “shell”: send only “code” and “data”."),
        ('{"code": 5}', "“code” must be a string."),
        ('{"code": "a\\ud800"}', "“code” is not valid Unicode text (it holds a lone surrogate)."),
        ('{"data": ["a\\udfff"]}', "“data” is not valid Unicode text (it holds a lone surrogate)."),
        (
            '{"data": {"\\ud800": 1}}',
            "“data” is not valid Unicode text (it holds a lone surrogate).",
        ),
        ('{"data": [[[1]]]}', "The body is nested too deeply."),
        ('{"data": [{"a": []}]}', "The body is nested too deeply."),
    ],
)
def test_each_hostile_body_is_refused_with_a_clear_400(body, message):
    assert refusal(body) == (400, message)


def test_a_body_deep_only_within_the_limit_is_read():
    data = read_json_object(post('{"data": [[1]]}'), FIELDS, 1000, 3)
    assert data["data"] == [[1]]


def test_too_large_is_413_whether_announced_or_sent():
    too_large = (413, "The request body is too long.")
    assert refusal("{}", max_bytes=1000, CONTENT_LENGTH="1001") == too_large
    assert refusal(json.dumps({"code": "x" * 1000}), max_bytes=1000) == too_large
    assert refusal("{}", CONTENT_LENGTH="lots") == (
        400,
        "The Content-Length header is not a number.",
    )


def test_messages_can_be_reworded():
    messages = {"too_large": "Too much code.", "wrong_type": "Send “{name}” as text."}
    for body, expected in [('{"code": 1}', "Send “code” as text."), ("x" * 2000, "Too much code.")]:
        with pytest.raises(InvalidBody, match=expected):
            read_json_object(post(body), FIELDS, 1000, 3, messages=messages)


@pytest.mark.parametrize(
    "error, status, retry_after",
    [
        (Busy(7, "Every sandbox is busy."), 429, "7"),
        (SandboxUnavailable("Install bubblewrap."), 503, None),
        (ServiceError("No.", status=403), 403, None),
        (InvalidBody("Send a JSON object."), 400, None),
    ],
)
def test_a_service_error_is_answered_with_its_status_and_retry_after(error, status, retry_after):
    @json_endpoint
    def view(request):
        raise error

    @json_endpoint
    async def async_view(request):
        raise error

    for response in (view(post("{}")), asyncio.run(async_view(post("{}")))):
        assert response.status_code == status
        assert response.get("Retry-After") == retry_after
        assert json.loads(response.content) == {"error": error.message}


def test_an_endpoint_shapes_its_own_answer_from_the_view_arguments():
    def body(request, error, name):
        return {"error": error.message, "name": name}

    @json_endpoint(body=body)
    def view(request, name):
        raise Busy(2, "Busy.")

    response = view(post("{}"), "cgi")
    assert json.loads(response.content) == {"error": "Busy.", "name": "cgi"}
    assert response["Retry-After"] == "2"
