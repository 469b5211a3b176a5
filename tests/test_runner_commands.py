"""run_sample, check_samples (and --record) and the admin's "Run and record output"."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PATH_ECHO_OUTPUT as EXPECTED
from tests.factories import PATH_ECHO_WSGI as WSGI
from tests.factories import make_era, make_sample
from timeline.models import CodeSample
from timeline.runner import record
from timeline.runner.result import Outcome, RunResult
from timeline.runner.sandbox import SandboxUnavailable

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]


@pytest.fixture
def sample():
    era = make_era(slug="wsgi")
    return make_sample(era, runtime="wsgi", code=WSGI, request="GET /path HTTP/1.1\n\n")


def test_run_sample_by_id(sample, capsys):
    call_command("run_sample", str(sample.pk))
    assert capsys.readouterr().out == EXPECTED


def test_run_sample_from_a_file_with_a_request_file(tmp_path, capsys):
    (tmp_path / "app.py").write_text(WSGI)
    (tmp_path / "request.http").write_text("GET /from-file HTTP/1.1\nHost: localhost\n\n")
    call_command(
        "run_sample",
        "--file",
        str(tmp_path / "app.py"),
        "--runtime",
        "wsgi",
        "--request",
        str(tmp_path / "request.http"),
    )
    assert capsys.readouterr().out.endswith("\n\n/from-file\n")


def test_run_sample_fails_with_a_clear_message(tmp_path):
    (tmp_path / "bad.py").write_text("1 / 0\n")
    with pytest.raises(CommandError, match="ZeroDivisionError"):
        call_command("run_sample", "--file", str(tmp_path / "bad.py"), "--runtime", "python")
    with pytest.raises(CommandError, match="no sample with id 999999"):
        call_command("run_sample", "999999")
    with pytest.raises(CommandError, match="either a sample id or --file"):
        call_command("run_sample")
    with pytest.raises(CommandError, match="needs --runtime"):
        call_command("run_sample", "--file", str(tmp_path / "bad.py"))


def test_check_samples_fails_on_missing_then_records_then_passes(sample, capsys):
    make_sample(sample.era, runtime="none", code="not run")
    make_sample(sample.era, historical=True, code="print 'old'", language="python2")
    with pytest.raises(CommandError, match="1 of 1 samples failed"):
        call_command("check_samples")
    assert "No expected_output" in capsys.readouterr().out
    call_command("check_samples", "--record")
    sample.refresh_from_db()
    assert sample.expected_output == EXPECTED
    call_command("check_samples")
    assert "All 1 runnable samples checked." in capsys.readouterr().out


def test_check_samples_fails_on_any_difference(sample, capsys):
    CodeSample.objects.filter(pk=sample.pk).update(
        expected_output=EXPECTED.replace("/path", "/old")
    )
    with pytest.raises(CommandError, match="1 of 1 samples failed"):
        call_command("check_samples")
    out = capsys.readouterr().out
    assert "-/old" in out and "+/path" in out


def test_check_samples_ignores_line_ending_differences(sample):
    CodeSample.objects.filter(pk=sample.pk).update(expected_output=EXPECTED.replace("\n", "\r\n"))
    call_command("check_samples")


def test_admin_action_runs_and_records(admin_client_logged, sample):
    url = reverse("admin:timeline_codesample_changelist")
    response = admin_client_logged.post(
        url, {"action": "run_and_record", "_selected_action": [sample.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Recorded the output of 1 sample(s)." in response.content.decode()
    sample.refresh_from_db()
    assert sample.expected_output == EXPECTED


def test_admin_era_action_records_its_samples(admin_client_logged, sample):
    other = make_sample(make_era(), runtime="python", code="print('other era')\n")
    url = reverse("admin:timeline_era_changelist")
    admin_client_logged.post(url, {"action": "run_and_record", "_selected_action": [sample.era.pk]})
    sample.refresh_from_db()
    other.refresh_from_db()
    assert sample.expected_output == EXPECTED
    assert other.expected_output == ""


def test_check_samples_says_when_a_run_did_not_finish(sample, capsys):
    CodeSample.objects.filter(pk=sample.pk).update(
        runtime="python", code="while True:\n    pass\n", expected_output="done\n"
    )
    with pytest.raises(CommandError):
        call_command("check_samples")
    assert "The run did not finish: Stopped: time limit (2 s)" in capsys.readouterr().out


# -- the same commands with the sandbox replaced by a stand-in: what is compared, retried,
# recorded and said, exactly (fast enough for `make mutate`) ---------------------------------


class FakeRuns:
    """Stands in for run_code: hands out the given results in turn and notes each call."""

    def __init__(self, *results):
        self.results, self.calls = list(results), []

    def __call__(self, runtime, code, request, wait=None):
        self.calls.append((runtime, code, request, wait))
        return self.results.pop(0)


def ran(output="", outcome=Outcome.OK, error=""):
    return RunResult(
        runtime="python", ok=outcome == Outcome.OK, output=output, outcome=outcome, error=error
    )


@pytest.fixture
def fake_runs(monkeypatch):
    def install(*results):
        runs = FakeRuns(*results)
        monkeypatch.setattr(record, "run_code", runs)
        return runs

    return install


def test_a_run_stopped_by_the_clock_is_tried_once_more(fake_runs, sample):
    runs = fake_runs(ran(outcome=Outcome.TIMEOUT), ran("late\n"))
    assert record.run_fresh(sample).output == "late\n"
    call = ("wsgi", sample.code, sample.request, record.COMMAND_SLOT_WAIT)
    assert runs.calls == [call, call]
    assert record.COMMAND_SLOT_WAIT == 60


def test_a_finished_run_is_not_repeated(fake_runs, sample):
    runs = fake_runs(ran("boom\n", Outcome.EXIT, "boom"))
    assert record.run_fresh(sample).outcome == Outcome.EXIT
    assert len(runs.calls) == 1


def test_record_stores_the_output_in_the_stored_text_shape(fake_runs, sample):
    fake_runs(ran("a\r\nb"))
    result, saved = record.record(sample)
    assert saved and result.output == "a\r\nb"
    sample.refresh_from_db()
    assert sample.expected_output == "a\nb\n"


def test_record_keeps_no_output_of_a_run_that_did_not_finish(fake_runs, sample):
    CodeSample.objects.filter(pk=sample.pk).update(expected_output="kept\n")
    sample.refresh_from_db()
    fake_runs(ran(outcome=Outcome.TIMEOUT), ran(outcome=Outcome.SANDBOX, error="broken"))
    result, saved = record.record(sample)
    assert not saved and result.error == "broken"
    sample.refresh_from_db()
    assert sample.expected_output == "kept\n"


def test_difference_is_a_unified_diff_and_says_when_the_run_did_not_finish(sample):
    sample.expected_output = "a\nb\n"
    assert record.difference(sample, ran("a\nb\n")) == ""
    assert record.difference(sample, ran("a\nc\n")) == (
        "--- expected_output\n+++ this run\n@@ -1,2 +1,2 @@\n a\n-b\n+c"
    )
    stopped = ran("a\n", Outcome.TIMEOUT, "Stopped: time limit (2 s).")
    assert record.difference(sample, stopped).endswith(
        "\n-b\n  The run did not finish: Stopped: time limit (2 s)."
    )
    sample.expected_output = None
    assert record.difference(sample, ran("")) == ""


def test_check_samples_checks_the_runnable_samples_in_order_and_names_each(fake_runs, capsys):
    later = make_era(slug="later", year=2010)
    early = make_era(slug="early", year=1995)
    make_sample(later, title="Two", runtime="python", expected_output="2\n")
    make_sample(early, title="One", runtime="python", expected_output="1\n")
    make_sample(early, title="Shown only", runtime="none", expected_output="x\n")
    make_sample(early, title="Old", runtime="python", historical=True, expected_output="x\n")
    runs = fake_runs(ran("1\n"), ran("2\n"))
    call_command("check_samples")
    assert [call[1] for call in runs.calls] == ["print('hi')\n", "print('hi')\n"]
    assert capsys.readouterr().out == (
        "ok   early#1 One (python)\nok   later#1 Two (python)\nAll 2 runnable samples checked.\n"
    )


def test_check_samples_of_one_era(fake_runs, capsys):
    make_sample(make_era(slug="other"), runtime="python", expected_output="1\n")
    one = make_sample(make_era(slug="mine"), title="Mine", runtime="python", expected_output="1\n")
    fake_runs(ran("1\n"))
    call_command("check_samples", "--era", "mine")
    assert capsys.readouterr().out.startswith(f"ok   mine#{one.order} Mine (python)\n")


def test_check_samples_lists_every_failure(fake_runs, capsys):
    era = make_era(slug="e")
    make_sample(era, title="Same", runtime="python", expected_output="1\n")
    make_sample(era, title="Differs", runtime="python", expected_output="1\n")
    make_sample(era, title="Unrecorded", runtime="python")
    fake_runs(ran("1\n"), ran("2\n"))
    with pytest.raises(CommandError) as info:
        call_command("check_samples")
    assert str(info.value) == (
        "2 of 3 samples failed:\n  e#2 Differs (python)\n  e#3 Unrecorded (python)"
    )
    out = capsys.readouterr().out
    assert "FAIL e#2 Differs (python)\n--- expected_output" in out
    assert "FAIL e#3 Unrecorded (python)\n  No expected_output recorded: run" in out


def test_check_samples_record_says_what_it_could_not_record(fake_runs, capsys):
    era = make_era(slug="r")
    make_sample(era, title="Fine", runtime="python")
    make_sample(era, title="Loops", runtime="python")
    fake_runs(
        ran("ok\n"), ran(outcome=Outcome.TIMEOUT), ran(outcome=Outcome.TIMEOUT, error="Stopped.")
    )
    with pytest.raises(CommandError, match="1 of 2 samples failed"):
        call_command("check_samples", "--record")
    out = capsys.readouterr().out
    assert "ok   r#1 Fine (python)\n" in out
    assert "FAIL r#2 Loops (python)\n  Not recorded: Stopped.\n" in out


def test_check_samples_without_a_sandbox_stops_with_the_install_hint(monkeypatch, sample):
    def unavailable(*args, **kwargs):
        raise SandboxUnavailable("Install bubblewrap.")

    CodeSample.objects.filter(pk=sample.pk).update(expected_output="x\n")
    monkeypatch.setattr(record, "run_code", unavailable)
    with pytest.raises(CommandError, match="^Install bubblewrap.$"):
        call_command("check_samples")


def test_check_samples_goes_by_year_then_era_then_order(fake_runs, capsys):
    """The run order is the timeline's: year, then era slug, then the sample's place."""
    newer = make_era(slug="aa-newer", year=2010)
    same_b = make_era(slug="bb-same", year=2000)
    same_a = make_era(slug="ab-same", year=2000)
    make_sample(newer, order=1, title="N", runtime="python", expected_output="1\n")
    make_sample(same_b, order=1, title="B", runtime="python", expected_output="1\n")
    make_sample(same_a, order=2, title="A2", runtime="python", expected_output="1\n")
    make_sample(same_a, order=1, title="A1", runtime="python", expected_output="1\n")
    fake_runs(*[ran("1\n") for _ in range(4)])
    call_command("check_samples")
    assert capsys.readouterr().out.splitlines()[:4] == [
        "ok   ab-same#1 A1 (python)",
        "ok   ab-same#2 A2 (python)",
        "ok   bb-same#1 B (python)",
        "ok   aa-newer#1 N (python)",
    ]


def test_check_samples_costs_the_same_queries_for_3_samples_or_6(fake_runs):
    """One query reads every sample; the health report's record of the run is the rest."""

    def queries(count):
        for n in range(count):
            make_sample(make_era(), runtime="python", expected_output="1\n", title=f"s{n}")
        fake_runs(*[ran("1\n") for _ in range(CodeSample.objects.count())])
        with CaptureQueriesContext(connection) as captured:
            call_command("check_samples", stdout=io.StringIO())
        reads = [q for q in captured if 'FROM "timeline_codesample"' in q["sql"]]
        assert len(reads) == 1
        return len(captured)

    queries(1)  # the health report's first record of a run is an insert, later ones updates
    assert queries(3) == queries(3)  # 4 samples, then 7


def test_check_samples_record_says_it_recorded(fake_runs, capsys):
    make_sample(make_era(slug="r"), title="Fine", runtime="python")
    fake_runs(ran("ok\n"))
    call_command("check_samples", "--record")
    assert capsys.readouterr().out.endswith("All 1 runnable samples recorded.\n")


def test_recording_leaves_an_editors_other_changes_alone(fake_runs, sample):
    """Only expected_output is written: a title changed meanwhile (in the admin) stays."""
    CodeSample.objects.filter(pk=sample.pk).update(title="Renamed meanwhile")
    fake_runs(ran("out\n"))
    record.record(sample)
    sample.refresh_from_db()
    assert (sample.title, sample.expected_output) == ("Renamed meanwhile", "out\n")


def test_an_empty_output_is_recorded_empty(fake_runs, sample):
    fake_runs(ran(""))
    assert record.record(sample)[1]
    sample.refresh_from_db()
    assert sample.expected_output == ""
