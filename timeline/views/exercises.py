"""Exercises: the list, one exercise, and the check endpoint.

The list and the exercise pages carry nothing per user, so they are cached whole like the era
pages; the learner's progress lives in their browser (static/js/exercise.js). Checking posts
JSON `{"code"}` (the script fetches its CSRF token first, as the Run button does) or, without
JavaScript, the page's form.
"""

import json

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from ..exercise_checks import run_checks
from ..models import Era, Exercise
from ..runner.sandbox import SandboxUnavailable
from ..runner.service import MAX_CODE_CHARS, Busy, check_rate
from ..text import normalize_newlines
from .caching import keep_private
from .run import MAX_BODY_BYTES, client_id, is_unicode


def exercise_list(request):
    """Every exercise the visitor may see, under its era, in date order."""
    eras = (
        Era.objects.visible_to(request.user)
        .for_timeline()
        .chronological()
        .filter(exercises__isnull=False)
        .distinct()
    )
    exercises = Exercise.objects.visible_to(request.user).order_by("order", "slug")
    by_era = {}
    for exercise in exercises:
        by_era.setdefault(exercise.era_id, []).append(exercise)
    groups = [(era, by_era[era.pk]) for era in eras if era.pk in by_era]
    response = render(request, "timeline/exercise_list.html", {"groups": groups})
    return keep_private(request, response)


def visible_exercise(request, slug):
    exercises = Exercise.objects.visible_to(request.user).select_related("era")
    return get_object_or_404(exercises.prefetch_related("checks"), slug=slug)


def exercise_detail(request, slug):
    exercise = visible_exercise(request, slug)
    response = exercise_page(request, exercise, exercise.starter)
    return keep_private(request, response, private=not exercise.era.published)


def results_context(outcomes, passed, error):
    """What includes/exercise_results.html shows, for the page and for the JSON answer alike."""
    outcomes = outcomes or []
    return {
        "outcomes": outcomes,
        "passed": passed,
        "error": error,
        "passed_count": sum(1 for outcome in outcomes if outcome.passed),
        "first_failure": next((outcome for outcome in outcomes if not outcome.passed), None),
        "checked": bool(outcomes) or bool(error),
    }


def exercise_page(request, exercise, code, outcomes=None, passed=False, status=200, error=""):
    context = {
        "exercise": exercise,
        "era": exercise.era,
        "code": code,
        "edited": code != exercise.starter,
        **results_context(outcomes, passed, error),
    }
    return render(request, "timeline/exercise_detail.html", context, status=status)


def read_code(request):
    """The learner's code from a JSON body or the form; (code, error message)."""
    if request.content_type != "application/json":
        return normalize_newlines(request.POST.get("code", "")), ""
    if len(request.body) > MAX_BODY_BYTES:
        return None, "The code is too long."
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return None, "The body is not valid JSON."
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return None, "Send a JSON object with “code”, a string."
    if not is_unicode(data["code"]):
        return None, "“code” is not valid Unicode text (it holds a lone surrogate)."
    return normalize_newlines(data["code"]), ""


def check(request, exercise, code):
    """Run the checks; (passed, outcomes, HTTP status, extra headers, error)."""
    if not code.strip():
        return False, None, 400, {}, "Write some code first."
    if len(code) > MAX_CODE_CHARS:
        return False, None, 400, {}, f"The code is longer than {MAX_CODE_CHARS // 1024} KB."
    try:
        # One submission counts once, when its first run starts (a refused one costs nothing).
        passed, outcomes = run_checks(
            exercise, code, on_start=lambda: check_rate(client_id(request))
        )
    except Busy as busy:
        return False, None, 429, {"Retry-After": str(busy.retry_after)}, busy.message
    except SandboxUnavailable as exc:
        return False, None, 503, {}, str(exc)
    return passed, outcomes, 200, {}, ""


@never_cache
@csrf_protect
@require_POST
def exercise_check(request, slug):
    exercise = visible_exercise(request, slug)
    code, error = read_code(request)
    wants_json = request.content_type == "application/json"
    if code is None:
        return JsonResponse({"passed": False, "checks": [], "error": error}, status=400)
    passed, outcomes, status, headers, error = check(request, exercise, code)
    if wants_json:
        html = render_to_string(
            "includes/exercise_results.html", results_context(outcomes, passed, error)
        )
        data = {
            "passed": passed,
            "checks": [outcome.to_dict() for outcome in outcomes or []],
            "error": error,
            "html": html,
        }
        response = JsonResponse(data, status=status)
    else:
        response = exercise_page(
            request, exercise, code, outcomes, passed, status=status, error=error
        )
    for name, value in headers.items():
        response[name] = value
    return response
