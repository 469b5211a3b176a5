"""Running a sample: the JSON endpoint the Run button calls, and a plain page without JavaScript.

Pages that list samples carry no per-user data, so they can be cached whole; the Run button gets
its CSRF token from `sample_csrf`, a tiny never-cached endpoint, before it posts.
"""

import json

from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from ..models import CodeSample, Era
from ..runner.result import HTTP_RUNTIMES, RunResult
from ..runner.sandbox import SandboxUnavailable
from ..runner.service import Busy, newlines, run_sample
from ..text import normalize_text

MAX_BODY_BYTES = 200 * 1024


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
    """Run and pick the HTTP status: 200 with the result, 429 when busy, 503 without a sandbox."""
    try:
        result = run_sample(sample, code, request_text, client=client_id(request))
    except Busy as busy:
        result = RunResult(runtime=sample.runtime, ok=False, error=busy.message)
        return result, 429, {"Retry-After": str(busy.retry_after)}
    except SandboxUnavailable as exc:
        return RunResult(runtime=sample.runtime, ok=False, error=str(exc)), 503, {}
    if not sample.runnable:
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
    code = newlines(request.POST.get("code", sample.code))
    request_text = newlines(request.POST.get("request", sample.request))
    result, status, headers = execute(request, sample, code, request_text)
    response = run_page(request, sample, code, request_text, result, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def run_json(request, sample):
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse(
            {"ok": False, "error": "The code and request are too long."}, status=413
        )
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"ok": False, "error": "The body is not valid JSON."}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"ok": False, "error": "Send a JSON object."}, status=400)
    code, request_text = data.get("code"), data.get("request")
    for name, value in (("code", code), ("request", request_text)):
        if value is not None and not isinstance(value, str):
            return JsonResponse({"ok": False, "error": f"“{name}” must be a string."}, status=400)
    result, status, headers = execute(request, sample, code, request_text)
    response = JsonResponse(result.to_dict(), status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def run_page(request, sample, code, request_text, result, status=200):
    return render(
        request,
        "timeline/sample_run.html",
        {
            "sample": sample,
            "era": sample.era,
            "code": code,
            "request_text": request_text,
            "http_runtime": sample.runtime in HTTP_RUNTIMES,
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
