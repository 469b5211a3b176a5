"""Run and Record on the sample's admin form: staff-only POSTs (CSRF checked by the admin).

Run runs what the form holds, saved or not, and diffs it against the form's expected output,
so an editor can try a change before saving it. Record runs the *saved* sample and stores
its output: storing the output of unsaved code would record a sample that does not exist.
Both answer an HTML fragment to admin-sample-check.js, or a whole page without JavaScript.
The era and sample lists' "Run and record" action records many samples at once.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from ... import diffs, revisions
from ...models import CodeSample
from ...runner import record
from ...runner.result import Outcome
from ...runner.sandbox import SandboxUnavailable
from ...runner.service import Busy, run_code
from ...text import normalize_text


def record_outputs(modeladmin, request, samples):
    """Run each runnable sample in the sandbox and store what it printed as expected_output.
    Each era whose samples were recorded gets a revision of its own saying which, so its
    History shows the change and a revert can undo it."""
    eras = {}
    for sample in samples:
        if sample.runnable:
            eras.setdefault(sample.era_id, []).append(sample)
    outcome = _Recording()
    for era_samples in eras.values():
        revisions.keep_revision(
            era_samples[0].era, request.user, lambda group=era_samples: outcome.record(group)
        )
        if outcome.unavailable is not None:
            modeladmin.message_user(request, str(outcome.unavailable), messages.ERROR)
            return
    modeladmin.message_user(
        request, f"Recorded the output of {outcome.saved} sample(s).", messages.SUCCESS
    )
    for problem in outcome.problems:
        modeladmin.message_user(request, problem, messages.WARNING)


class _Recording:
    """What record_outputs did so far: samples saved, problems to report, and the sandbox's
    refusal if it stopped."""

    def __init__(self):
        self.saved, self.problems, self.unavailable = 0, [], None

    def record(self, samples):
        """Record one era's samples; the revision's comment, or None if none was stored."""
        recorded = []
        for sample in samples:
            try:
                result, stored = record.record(sample)
            except SandboxUnavailable as exc:
                self.unavailable = exc
                break
            if stored:
                recorded.append(f"“{sample.title}”")
                if not result.ok:
                    self.problems.append(
                        f"{sample}: recorded, but it failed: {result.error.splitlines()[-1]}"
                    )
            else:
                self.problems.append(f"{sample}: not recorded: {result.error.splitlines()[0]}")
        self.saved += len(recorded)
        if not recorded:
            return None
        return f"Recorded the output of {', '.join(recorded)} (Run and record)."


def _sample(model_admin, request, pk):
    sample = get_object_or_404(CodeSample.objects.select_related("era"), pk=pk)
    if not model_admin.has_change_permission(request, sample):
        raise PermissionDenied
    return sample


def _against_expected(expected, actual):
    """diffs.diff_lines of the expected output against this run's, both normalised as saving
    normalises them; [] when they match."""
    expected, actual = normalize_text(expected or ""), normalize_text(actual or "")
    return diffs.diff_lines(expected, actual, "expected output", "this run")


def _answer(model_admin, request, sample, title, context):
    fragment = request.headers.get("X-Requested-With") == "fetch"
    template = "admin/timeline/codesample/" + ("check_result" if fragment else "check_page")
    context = {
        **model_admin.admin_site.each_context(request),
        "sample": sample,
        "title": title,
        **context,
    }
    return TemplateResponse(request, template + ".html", context)


def _run(runtime, code, request_text):
    try:
        return run_code(runtime, code, request_text, wait=record.COMMAND_SLOT_WAIT), ""
    except (Busy, SandboxUnavailable) as exc:
        return None, getattr(exc, "message", str(exc))


def _ran(result):
    """Whether there is an output to compare: a refused run (too long, bad request) has none."""
    return result is not None and result.outcome != Outcome.NOT_STARTED


@require_POST
def run_view(request, pk, model_admin):
    sample = _sample(model_admin, request, pk)
    code = normalize_text(request.POST.get("code", sample.code))
    request_text = normalize_text(request.POST.get("request", sample.request))
    runtime = request.POST.get("runtime", sample.runtime)
    if runtime not in CodeSample.Runtime.values or runtime == CodeSample.Runtime.NONE:
        runtime = sample.runtime
    expected = request.POST.get("expected_output", sample.expected_output)
    result, problem = _run(runtime, code, request_text)
    context = {"result": result, "message": problem, "saved": False}
    if _ran(result):
        context["diff"] = _against_expected(expected, result.output)
        context["compared"] = True
    return _answer(model_admin, request, sample, f"Run of {sample.title}", context)


@require_POST
def record_view(request, pk, model_admin):
    sample = _sample(model_admin, request, pk)
    unsaved = [
        name
        for name in ("code", "request")
        if name in request.POST and normalize_text(request.POST[name]) != getattr(sample, name)
    ]
    fragment = request.headers.get("X-Requested-With") == "fetch"
    if unsaved:
        message = (
            f"Save the sample first: Record stores the output of the saved {' and '.join(unsaved)}."
        )
        context = {"message": message, "saved": False}
        return _answer(model_admin, request, sample, f"Record {sample.title}", context)
    outcome = {}

    def keep():
        outcome["result"], outcome["stored"] = record.record(sample)
        if outcome["stored"]:
            return f"Recorded the output of “{sample.title}” (Record)."
        return None

    try:
        # A revision of the era, so its History shows it and reverting the era undoes it.
        revisions.keep_revision(sample.era, request.user, keep)
        result, stored = outcome["result"], outcome["stored"]
    except (Busy, SandboxUnavailable) as exc:
        context = {"message": getattr(exc, "message", str(exc)), "saved": False}
        return _answer(model_admin, request, sample, f"Record {sample.title}", context)
    if stored:
        message = "Recorded: the expected output is now this run's output."
    else:
        message = "Not recorded: the run did not finish, so its output would not be stable."
    if not fragment:
        model_admin.message_user(request, message, messages.SUCCESS if stored else messages.ERROR)
        return redirect("admin:timeline_codesample_change", sample.pk)
    context = {
        "result": result,
        "message": message,
        "saved": stored,
        "compared": _ran(result),
        "diff": [] if stored else _against_expected(sample.expected_output, result.output),
        # The form's expected-output box must show what was stored, or Save would undo it.
        "recorded_output": sample.expected_output if stored else None,
    }
    return _answer(model_admin, request, sample, f"Record {sample.title}", context)
