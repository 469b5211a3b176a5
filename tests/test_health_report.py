"""The admin's health report: the content checks record what they find, and the report shows
it with a link to each row to fix. (The checks themselves are tested beside them; here their
runs are replaced by ones that fail on purpose.)"""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_era, make_exercise, make_sample, make_slide
from timeline import health, slide_audit
from timeline.models import HealthCheck, HealthFinding, HealthRun
from timeline.runner.result import Outcome, RunResult

pytestmark = pytest.mark.django_db
REPORT = "/admin/timeline/healthfinding/"


def test_a_run_replaces_the_findings_of_its_check_and_joins_a_row_found_twice():
    era = make_era(slug="wsgi", title="WSGI")
    slide = make_slide(era, title="The callable")
    other = make_sample(era, expected_output="x\n")
    health.record(HealthCheck.SAMPLES, 5, [(other, "a sample", "differs")])
    health.record(HealthCheck.SLIDES, 3, [(slide, "WSGI: The callable", "At 1024x768: cut")])
    found = [
        (slide, "WSGI: The callable", "At 390x844: cut"),
        (era, "WSGI (title)", "At 390x844: x"),
    ]
    health.record(HealthCheck.SLIDES, 9, [*found, found[0]])
    slides = HealthFinding.objects.filter(kind=HealthCheck.SLIDES)
    assert [(f.row, f.message) for f in slides] == [
        (slide, "At 390x844: cut"),
        (era, "At 390x844: x"),
    ]
    assert HealthFinding.objects.filter(kind=HealthCheck.SAMPLES).get().row == other
    run = HealthRun.objects.get(kind=HealthCheck.SLIDES)
    assert (run.checked, run.failed) == (9, 2)


def report_page(client):
    response = client.get(REPORT)
    assert response.status_code == 200
    return response.text


def test_the_report_links_each_finding_to_its_row_and_names_unrecorded_samples(admin_client_logged):
    assert "Never run here: <code>manage.py check_slides</code>" in report_page(admin_client_logged)
    era = make_era(slug="cgi", title="CGI")
    slide = make_slide(era, title="Environment variables")
    silent = make_sample(era, title="Hello CGI", runtime="cgi", expected_output="")
    health.record(
        HealthCheck.SLIDES, 40, [(slide, "CGI: Environment variables", "At 390x844: code is cut")]
    )
    page = report_page(admin_client_logged)
    assert "1 of 40 needs fixing" in page
    link = f'<a href="/admin/timeline/slide/{slide.pk}/change/">CGI: Environment variables</a>'
    assert f'<tr><th scope="row">{link}</th><td>At 390x844: code is cut</td></tr>' in page
    assert f'<a href="/admin/timeline/codesample/{silent.pk}/change/">CGI: Hello CGI</a>' in page
    silent.expected_output = "Hello\n"
    silent.save()
    assert "Every runnable sample has its expected output recorded." in report_page(
        admin_client_logged
    )


def test_the_report_costs_the_same_queries_for_few_findings_and_many(admin_client_logged):
    era = make_era(slug="asgi", title="ASGI")
    slides = [make_slide(era, order=n, title=f"Slide {n}") for n in range(1, 61)]

    def queries(count):
        health.record(HealthCheck.SLIDES, 60, [(s, s.title, "cut") for s in slides[:count]])
        with CaptureQueriesContext(connection) as captured:
            report_page(admin_client_logged)
        return len(captured)

    assert queries(2) == queries(60)


def test_the_report_is_read_only_and_for_those_who_may_view_it(client, django_user_model):
    assert client.get(REPORT).status_code == 302  # to the admin's login
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(REPORT).status_code == 403
    clerk.user_permissions.set(Permission.objects.filter(codename="view_healthfinding"))
    viewer = Client()
    viewer.force_login(clerk)
    assert "Health report" in report_page(viewer)
    health.record(HealthCheck.SAMPLES, 1, [(make_sample(make_era()), "s", "differs")])
    finding = HealthFinding.objects.get()
    assert viewer.post(f"{REPORT}{finding.pk}/delete/", {"post": "yes"}).status_code == 403
    assert viewer.get(f"{REPORT}add/").status_code == 403


def differing(sample):
    return RunResult(runtime="python", ok=True, outcome=Outcome.OK, output="something else\n")


def test_a_full_check_samples_run_records_its_failures_and_an_era_run_does_not(monkeypatch):
    era = make_era(slug="wsgi", title="WSGI")
    good = make_sample(era, title="Fine", runtime="python", expected_output="something else\n")
    bad = make_sample(era, title="Stale", runtime="python", expected_output="old\n", order=2)
    monkeypatch.setattr("timeline.runner.record.run_fresh", differing)
    with pytest.raises(CommandError, match="1 of 2 samples failed"):
        call_command("check_samples", stdout=io.StringIO())
    finding = HealthFinding.objects.get(kind=HealthCheck.SAMPLES)
    assert finding.row == bad and "-old" in finding.message and "+something else" in finding.message
    bad.expected_output = "something else\n"
    bad.save()
    call_command("check_samples", "--era", "wsgi", stdout=io.StringIO())
    assert HealthFinding.objects.filter(kind=HealthCheck.SAMPLES).count() == 1  # not a full run
    call_command("check_samples", stdout=io.StringIO())
    assert not HealthFinding.objects.filter(kind=HealthCheck.SAMPLES).exists()
    assert HealthRun.objects.get(kind=HealthCheck.SAMPLES).checked == 2
    assert good.pk


def test_a_full_check_exercises_run_records_the_exercises_whose_checks_fail(monkeypatch):
    era = make_era(slug="flask", title="Flask")
    broken = make_exercise(era, slug="flask-hello", title="Hello, Flask")
    make_exercise(era, slug="flask-json", title="JSON", order=2)
    problems = {"flask-hello": ["The reference solution fails “greets Ada”."]}
    monkeypatch.setattr(
        "timeline.management.commands.check_exercises.proof_problems",
        lambda exercise: problems.get(exercise.slug, []),
    )
    with pytest.raises(CommandError, match="1 exercise"):
        call_command("check_exercises", stdout=io.StringIO())
    finding = HealthFinding.objects.get(kind=HealthCheck.EXERCISES)
    assert (finding.row, finding.label) == (broken, "Hello, Flask")
    assert finding.message == "The reference solution fails “greets Ada”."


def test_slide_verdicts_name_the_slide_or_the_era_title_they_came_from():
    era = make_era(slug="zope", title="Zope")
    slide = make_slide(era, title="Object publishing")
    deck = slide_audit.deck_pages("era", "zope")
    assert deck.rows == {1: era, 2: slide}
    problem = {"message": "its code is cut"}
    verdicts = [
        slide_audit.SlideVerdict(deck.label, 2, "Object publishing", "390x844", [problem]),
        slide_audit.SlideVerdict(deck.label, 1, "Zope", "1024x768", [problem]),
    ]
    assert slide_audit.findings([deck], verdicts) == [
        (slide, "Zope: Object publishing", "At 390x844: its code is cut"),
        (era, "Zope (title)", "At 1024x768: its code is cut"),
    ]
