"""Running a sample: the JSON endpoint the Run button calls, and a plain page without JavaScript.

Pages that list samples carry no per-user data, so they can be cached whole; the Run button gets
its CSRF token from `sample_csrf`, a tiny never-cached endpoint, before it posts.
"""

from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from historyweb.errors import ServiceError

from ..models import CodeSample, Era
from ..runner import runtimes
from ..runner.result import Outcome, RunResult
from ..runner.service import newlines, run_sample
from ..text import normalize_text
from .json_api import InvalidBody, add_error_headers, json_endpoint, read_json_object

MAX_BODY_BYTES = 200 * 1024
MAX_DEPTH = 2  # {"code": "...", "request": "..."}: text inside one object
MESSAGES = {"too_large": "The code and request are too long."}
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
    code = newlines(request.POST.get("code", sample.code))
    request_text = newlines(request.POST.get("request", sample.request))
    try:
        result = run_sample(sample, code, request_text, client=client_id(request))
    except ServiceError as error:  # busy (429) or no sandbox (503)
        result = RunResult.refused(sample.runtime, error.message)
        response = run_page(request, sample, code, request_text, result, status=error.status)
        return add_error_headers(response, error)
    return run_page(request, sample, code, request_text, result, status=status_of(result))


def answer(request, result):
    """The JSON answer: the result's fields, and the result rendered by the one template."""
    html = render_to_string(RESULT_TEMPLATE, {"result": result}, request=request)
    return result.to_dict() | {"html": html}


def refusal(request, error, sample):
    """A run that never started, in the result's usual shape so the page shows it. A refused
    body never reached the sample, so it names no runtime."""
    runtime = "" if isinstance(error, InvalidBody) else sample.runtime
    return answer(request, RunResult.refused(runtime, error.message))


@json_endpoint(body=refusal)
def run_json(request, sample):
    data = read_json_object(
        request, {"code": str, "request": str}, MAX_BODY_BYTES, MAX_DEPTH, messages=MESSAGES
    )
    result = run_sample(sample, data["code"], data["request"], client=client_id(request))
    return JsonResponse(answer(request, result), status=status_of(result))


def run_page(request, sample, code, request_text, result, status=200):
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
            "edited": normalize_text(code) != sample.code
            or normalize_text(request_text) != sample.request,
        },
        status=status,
    )


@never_cache
@ensure_csrf_cookie
@require_GET
def sample_csrf(request):
    """Set the CSRF cookie for the Run button, and hand over the token for good measure."""
    return JsonResponse({"csrfToken": get_token(request)})
