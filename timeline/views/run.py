"""Running a sample: the JSON endpoint the Run button calls, and a plain page without JavaScript.

Pages that list samples carry no per-user data, so they can be cached whole; the Run button gets
its CSRF token from `sample_csrf`, a tiny never-cached endpoint, before it posts.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from ..diffs import compare_output
from ..models import CodeSample, Era
from ..runner import runtimes
from ..runner.result import Outcome, RunResult
from ..runner.sandbox import SandboxUnavailable
from ..runner.service import Busy, run_sample
from ..text import normalize_newlines, normalize_text

MAX_BODY_BYTES = 200 * 1024
RESULT_TEMPLATE = "includes/run_result.html"


def visible_sample(request, pk):
    eras = Era.objects.visible_to(request.user)
    return get_object_or_404(CodeSample.objects.select_related("era").filter(era__in=eras), pk=pk)


def client_id(request):
    """Who the rate limit counts. Behind a proxy, set RUNNER_CLIENT_IP_HEADER (for example
    "HTTP_X_REAL_IP") to a header the proxy sets and clients cannot forge."""
    header = getattr(settings, "RUNNER_CLIENT_IP_HEADER", None)
    value = request.META.get(header, "") if header else ""
    value = value.split(",")[-1].strip()
    return value or request.META.get("REMOTE_ADDR") or "unknown"


def execute(request, sample, code, request_text):
    """Run and pick the HTTP status: 200 with the result, 400 when it was refused, 429 when
    busy, 503 without a sandbox."""
    try:
        result = run_sample(sample, code, request_text, client=client_id(request))
    except Busy as busy:
        result = RunResult.refused(sample.runtime, busy.message)
        return result, 429, {"Retry-After": str(busy.retry_after)}
    except SandboxUnavailable as exc:
        return RunResult.refused(sample.runtime, str(exc)), 503, {}
    if result.outcome == Outcome.NOT_STARTED:  # not runnable, or code or request refused
        return result, 400, {}
    return result, 200, {}


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def sample_run(request, pk):
    sample = visible_sample(request, pk)
    if request.method == "GET":
        return run_page(request, sample, sample.code, sample.request_as_sent, None)
    if request.content_type == "application/json":
        return run_json(request, sample)
    code = normalize_newlines(request.POST.get("code", sample.code))
    request_text = normalize_newlines(request.POST.get("request", sample.request))
    result, status, headers = execute(request, sample, code, request_text)
    compare = compare_with_recorded(sample, code, request_text, result, status)
    response = run_page(request, sample, code, request_text, result, status=status, compare=compare)
    for name, value in headers.items():
        response[name] = value
    return response


def edited(sample, code, request_text):
    """Whether the learner's text is not the sample's (None is the sample's own)."""
    return (code is not None and normalize_text(code) != sample.code) or (
        request_text is not None and normalize_text(request_text) != sample.request
    )


def compare_with_recorded(sample, code, request_text, result, status):
    """After an edited run that ran: its output against the recorded output; None otherwise."""
    if status != 200 or not sample.expected_output or not edited(sample, code, request_text):
        return None
    return compare_output(sample.expected_output, result.output)


def answer(request, result, compare=None):
    """The JSON answer: the result's fields, and the result rendered by the one template."""
    context = {"result": result, "compare": compare}
    html = render_to_string(RESULT_TEMPLATE, context, request=request)
    return result.to_dict() | {"html": html}


def bad_request(message, status=400):
    """The answer to a body that cannot be run: the result's usual shape, so the page shows it."""
    return JsonResponse(answer(None, RunResult.refused("", message)), status=status)


def read_run_body(request):
    """The JSON body's `code` and `request` (None when absent), or a JsonResponse saying why not.

    Everything here is a hostile client's to choose: the size, the nesting, the types, and text
    that is not Unicode (a lone surrogate escaped as \\ud800 is valid JSON)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return bad_request("The Content-Length header is not a number.")
    if length > MAX_BODY_BYTES:
        return bad_request("The code and request are too long.", status=413)
    try:
        raw = request.body
    except RequestDataTooBig:
        return bad_request("The code and request are too long.", status=413)
    if len(raw) > MAX_BODY_BYTES:
        return bad_request("The code and request are too long.", status=413)
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        return bad_request("The body is not valid JSON.")
    if not isinstance(data, dict):
        return bad_request("Send a JSON object.")
    unknown = sorted(set(data) - {"code", "request"})
    if unknown:
        return bad_request(f"Unknown field “{unknown[0][:40]}”: send only “code” and “request”.")
    for name in ("code", "request"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            return bad_request(f"“{name}” must be a string.")
        if value is not None and not is_unicode(value):
            return bad_request(f"“{name}” is not valid Unicode text (it holds a lone surrogate).")
    return data.get("code"), data.get("request")


def is_unicode(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def run_json(request, sample):
    parsed = read_run_body(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    code, request_text = (None if text is None else normalize_newlines(text) for text in parsed)
    result, status, headers = execute(request, sample, code, request_text)
    compare = compare_with_recorded(sample, code, request_text, result, status)
    response = JsonResponse(answer(request, result, compare), status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def run_page(request, sample, code, request_text, result, status=200, compare=None):
    return render(
        request,
        "timeline/sample_run.html",
        {
            "sample": sample,
            "era": sample.era,
            "code": code,
            "request_text": request_text,
            "http_runtime": sample.runtime in runtimes.HTTP,
            "result": result,
            "compare": compare,
            "edited": edited(sample, code, request_text),
        },
        status=status,
    )


@never_cache
@ensure_csrf_cookie
@require_GET
def sample_csrf(request):
    """Set the CSRF cookie for the Run button, and hand over the token for good measure."""
    return JsonResponse({"csrfToken": get_token(request)})
