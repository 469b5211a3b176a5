"""Try it on an exercise page: the learner's answer run with a request they type, ungraded.

It answers as the Run button of a sample does (run.py: the same JSON, the same result template,
the same run limit); without JavaScript the exercise's form posts here and the page shows the
result. Nothing here says whether the answer is right: there is no verdict in either answer.
"""

from django.http import JsonResponse

from historyweb.errors import ServiceError
from historyweb.throttle import client_id

from ..exercise_try import COMPARED_WITH, compare_with_previous, run_try, starting_request
from ..runner.result import RunResult
from ..text import normalize_newlines
from .exercises import exercise_page, exercise_post
from .json_api import add_error_headers, json_endpoint
from .run import answer, read_edit, refusal, status_of

# The code, the request and the previous try's output, each capped on its own (the code at
# MAX_CODE_CHARS, the request at MAX_REQUEST_CHARS, the output by the run's output cap).
MAX_BODY_BYTES = 400 * 1024


def tried(request, exercise, code, request_text, previous):
    """(result, compare, error) of one try: a run refused (busy, no sandbox) is a result too,
    with the ServiceError that refused it."""
    try:
        result = run_try(exercise, code, request_text, client_id(request))
    except ServiceError as error:  # busy (429) or no sandbox (503)
        return RunResult.refused(exercise.runtime, error.message), None, error
    return result, compare_with_previous(previous, result), None


@json_endpoint(body=refusal)
def try_json(request, exercise):
    data = read_edit(request, "previous", max_bytes=MAX_BODY_BYTES)
    code = data["code"] or ""
    request_text = starting_request(exercise) if data["request"] is None else data["request"]
    result = run_try(exercise, code, request_text, client_id(request))
    compare = compare_with_previous(data["previous"], result)
    body = answer(request, result, compare, COMPARED_WITH if compare else None)
    return JsonResponse(body, status=status_of(result))


@exercise_post(try_json)
def exercise_try(request, exercise, code):
    request_text = normalize_newlines(request.POST.get("request", starting_request(exercise)))
    previous = normalize_newlines(request.POST.get("previous", ""))
    result, compare, error = tried(request, exercise, code, request_text, previous)
    status = error.status if error else status_of(result)
    context = {"try_result": result, "try_compare": compare, "try_request": request_text}
    context["compared_with"] = COMPARED_WITH
    response = exercise_page(request, exercise, code, status=status, extra=context)
    return add_error_headers(response, error) if error else response
