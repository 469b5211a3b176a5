"""run_sample, check_samples (and --record) and the admin's "Run and record output"."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import make_era, make_sample
from timeline.models import CodeSample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]

WSGI = (
    "def application(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [environ['PATH_INFO'].encode()]\n"
)
EXPECTED = "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n/path\n"


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
