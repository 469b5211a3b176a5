"""Running a sample: the JSON endpoint the Run button calls, and a plain page without JavaScript.

Pages that list samples carry no per-user data, so they can be cached whole; the Run button gets
its CSRF token from `sample_csrf`, a tiny never-cached endpoint, before it posts.
"""

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from historyweb.errors import ServiceError
from historyweb.throttle import client_id

from ..diffs import compare_output
from ..models import CodeSample, Era
from ..runner import runtimes
from ..runner.result import Outcome, RunResult
from ..runner.service import run_sample
from ..text import normalize_newlines, normalize_text
from .json_api import InvalidBody, add_error_headers, json_endpoint, read_json_object

MAX_BODY_BYTES = 200 * 1024
MAX_DEPTH = 2  # {"code": "...", "request": "..."}: text inside one object
MESSAGES = {"too_large": "The code and request are too long."}
RESULT_TEMPLATE = "includes/run_result.html"


def visible_sample(request, pk):
    eras = Era.objects.visible_to(request.user)
    return get_object_or_404(CodeSample.objects.select_related("era").filter(era__in=eras), pk=pk)


def status_of(result):
    """200 with the result, 400 when it never started (not runnable, or code or request refused)."""
    return 400 if result.outcome == Outcome.NOT_STARTED else 200


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
    try:
        result = run_sample(sample, code, request_text, client=client_id(request))
    except ServiceError as error:  # busy (429) or no sandbox (503)
        result = RunResult.refused(sample.runtime, error.message)
        response = run_page(request, sample, code, request_text, result, status=error.status)
        return add_error_headers(response, error)
    status = status_of(result)
    compare = compare_with_recorded(sample, code, request_text, result, status)
    return run_page(request, sample, code, request_text, result, status=status, compare=compare)


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


def answer(request, result, compare=None, compared_with=None):
    """The JSON answer: the result's fields, and the result rendered by the one template;
    `compare` is against `compared_with` (the recorded output unless it says otherwise)."""
    context = {"result": result, "compare": compare, "compared_with": compared_with}
    html = render_to_string(RESULT_TEMPLATE, context, request=request)
    return result.to_dict() | {"html": html}


def refusal(request, error, sample):
    """A run that never started, in the result's usual shape so the page shows it. A refused
    body never reached the sample, so it names no runtime."""
    runtime = "" if isinstance(error, InvalidBody) else sample.runtime
    return answer(request, RunResult.refused(runtime, error.message))


def read_edit(request, *extra, max_bytes=MAX_BODY_BYTES):
    """The JSON body's "code", "request" and any `extra` texts, with LF line ends (None when
    absent); raises InvalidBody."""
    fields = dict.fromkeys(("code", "request", *extra), str)
    data = read_json_object(request, fields, max_bytes, MAX_DEPTH, messages=MESSAGES)
    return {name: None if text is None else normalize_newlines(text) for name, text in data.items()}


@json_endpoint(body=refusal)
def run_json(request, sample):
    code, request_text = read_edit(request).values()
    result = run_sample(sample, code, request_text, client=client_id(request))
    status = status_of(result)
    compare = compare_with_recorded(sample, code, request_text, result, status)
    return JsonResponse(answer(request, result, compare), status=status)


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
