"""Exercises: the list, one exercise, and the check endpoint.

The list and the exercise pages carry nothing per user, so they are cached whole like the era
pages; the learner's progress lives in their browser (static/js/exercise.js). Checking posts
JSON `{"code"}` (the script fetches its CSRF token first, as the Run button does) or, without
JavaScript, the page's form.
"""

import functools

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from historyweb.errors import ServiceError
from historyweb.page_cache import page_cached
from historyweb.throttle import client_id

from ..check_limit import CheckMeter
from ..exercise_checks import run_checks
from ..exercise_feedback import printed_by_program, shared_cause
from ..exercise_try import sends_own_request, starting_request
from ..models import Exercise, chronological_order
from ..runner.service import MAX_CODE_CHARS
from ..text import normalize_newlines
from .caching import keep_private
from .json_api import InvalidBody, add_error_headers, json_endpoint, read_json_object

MAX_BODY_BYTES = 200 * 1024
MAX_DEPTH = 2  # {"code": "..."}: text inside one object
WANT_CODE = "Send a JSON object with “code”, a string."
MESSAGES = {"too_large": "The code is too long.", "not_object": WANT_CODE, "wrong_type": WANT_CODE}


def suggested_order(user):
    """Every exercise the visitor may see, in the order the list suggests: by era, oldest first,
    then by the order within the era; each numbered from 1 as `number`."""
    exercises = Exercise.objects.visible_to(user).select_related("era")
    ordered = list(exercises.order_by(*chronological_order("era__"), "order", "slug"))
    for number, exercise in enumerate(ordered, start=1):
        exercise.number = number
    return ordered


@page_cached()
def exercise_list(request):
    """Every exercise the visitor may see, numbered in the suggested order, under its era."""
    groups = []
    for exercise in suggested_order(request.user):
        if not groups or groups[-1][0] != exercise.era:
            groups.append((exercise.era, []))
        groups[-1][1].append(exercise)
    response = render(request, "timeline/exercise_list.html", {"groups": groups})
    return keep_private(request, response)


def next_exercise(request, exercise):
    """The exercise after this one in the suggested order, or None after the last."""
    ordered = suggested_order(request.user)
    slugs = [item.slug for item in ordered]
    position = slugs.index(exercise.slug) if exercise.slug in slugs else len(slugs)
    following = ordered[position + 1 : position + 2]
    return following[0] if following else None


def visible_exercise(request, slug):
    exercises = Exercise.objects.visible_to(request.user).select_related("era")
    return get_object_or_404(exercises.prefetch_related("checks"), slug=slug)


def exercise_detail(request, slug):
    exercise = visible_exercise(request, slug)
    response = exercise_page(request, exercise, exercise.starter)
    return keep_private(request, response, private=not exercise.era.published)


def results_context(outcomes, passed, error, exercise):
    """What includes/exercise_results.html shows, for the page and for the JSON answer alike.
    In a request exercise the program is the exercise's own app: what it printed is not shown."""
    outcomes = outcomes or []
    learner_runs = exercise.kind != Exercise.Kind.REQUEST
    return {
        "outcomes": outcomes,
        "passed": passed,
        "error": error,
        "cause": shared_cause(outcomes),
        "printed": printed_by_program(outcomes) if learner_runs else "",
        "passed_count": sum(1 for outcome in outcomes if outcome.passed),
        "first_failure": next((outcome for outcome in outcomes if not outcome.passed), None),
        "checked": bool(outcomes) or bool(error),
    }


def posted_request(request):
    """The Try it request a form posted along with the code, so a Check does not lose it."""
    text = request.POST.get("request") if request.method == "POST" else None
    return normalize_newlines(text) if text else None


def exercise_page(
    request, exercise, code, outcomes=None, passed=False, status=200, error="", extra=None
):
    """The exercise with the learner's code; `extra` is a Try it's result (exercise_try.py)."""
    context = {
        "exercise": exercise,
        "era": exercise.era,
        "code": code,
        "edited": code != exercise.starter,
        "next_exercise": next_exercise(request, exercise),
        "own_request": sends_own_request(exercise),
        "try_request": posted_request(request) or starting_request(exercise),
        **results_context(outcomes, passed, error, exercise),
        **(extra or {}),
    }
    return render(request, "timeline/exercise_detail.html", context, status=status)


def read_code(request):
    """The learner's code from the JSON body; raises InvalidBody."""
    data = read_json_object(request, {"code": str}, MAX_BODY_BYTES, MAX_DEPTH, messages=MESSAGES)
    if data["code"] is None:
        raise InvalidBody(WANT_CODE)
    return normalize_newlines(data["code"])


def check(request, exercise, code):
    """Run the checks; (passed, outcomes). Raises ServiceError: 400 without code or with too
    much, and the runner's Busy (429) and SandboxUnavailable (503)."""
    if not code.strip():
        raise ServiceError("Write some code first.", status=400)
    if len(code) > MAX_CODE_CHARS:
        raise ServiceError(f"The code is longer than {MAX_CODE_CHARS // 1024} KB.", status=400)
    # Counted when its first run starts (a refused one costs nothing), then by sandbox time.
    meter = CheckMeter(client_id(request))
    try:
        return run_checks(exercise, code, on_start=meter.start, run=meter.run)
    finally:
        meter.settle()


def results_answer(exercise, outcomes, passed, error):
    """The JSON answer: the verdict, each check, what the program printed, the one cause when
    every check failed for it, and the results rendered by the one template."""
    context = results_context(outcomes, passed, error, exercise)
    return {
        "passed": passed,
        "checks": [outcome.to_dict() for outcome in outcomes or []],
        "printed": context["printed"],
        "cause": context["cause"],
        "error": error,
        "html": render_to_string("includes/exercise_results.html", context),
    }


def unchecked(request, error, exercise):
    """The JSON answer to code that was not checked. A refused body gets no rendered results."""
    if isinstance(error, InvalidBody):
        return {"passed": False, "checks": [], "error": error.message}
    return results_answer(exercise, None, False, error.message)


def exercise_post(json_view):
    """A POST to an exercise (its check, its Try it): a JSON body goes to
    `json_view(request, exercise)`, a form to the decorated view as (request, exercise, code)."""

    def decorate(form_view):
        @never_cache
        @csrf_protect
        @require_POST
        @functools.wraps(form_view)
        def view(request, slug):
            exercise = visible_exercise(request, slug)
            if request.content_type == "application/json":
                return json_view(request, exercise)
            return form_view(request, exercise, normalize_newlines(request.POST.get("code", "")))

        return view

    return decorate


@json_endpoint(body=unchecked)
def check_json(request, exercise):
    passed, outcomes = check(request, exercise, read_code(request))
    return JsonResponse(results_answer(exercise, outcomes, passed, ""))


@exercise_post(check_json)
def exercise_check(request, exercise, code):
    try:
        passed, outcomes = check(request, exercise, code)
    except ServiceError as error:
        response = exercise_page(request, exercise, code, status=error.status, error=error.message)
        return add_error_headers(response, error)
    return exercise_page(request, exercise, code, outcomes, passed)
