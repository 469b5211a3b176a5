"""axe on the editor's admin pages: an era's change page (with relations both ways), its
history, two revisions compared (a slide deleted, another added) and the export preview; an
exercise's change page (code editors, checks and wrong answers), its history and compare; the
era's change page and history with a pending draft."""

import pytest
import reversion
from reversion.models import Version

from timeline.models import (
    Era,
    EraDraft,
    EraRelation,
    Exercise,
    ExerciseCheck,
    ExerciseWrongAnswer,
)

from ..factories import make_slide
from . import test_accessibility as accessibility
from .site_pages import STAFF_USER, login, seed_history
from .test_accessibility import audit, describe

pytestmark = pytest.mark.django_db(transaction=True)

# The public pages' audit fixtures: axe's source, and a page in light then in dark.
axe_source = accessibility.axe_source
scheme_page = accessibility.scheme_page


def keep(era, comment):
    with reversion.create_revision():
        reversion.set_comment(comment)
        reversion.add_to_revision(era)


def edited_era():
    """WSGI with a relation each way, and two revisions: a slide deleted, another added."""
    seed_history()
    era = Era.objects.get(slug="wsgi")
    others = Era.objects.exclude(pk=era.pk).order_by("year")
    EraRelation.objects.get_or_create(era=era, other=others.last())
    EraRelation.objects.get_or_create(era=others.first(), other=era)
    keep(era, "Before")
    last = era.slides.order_by("-order").first()
    order = last.order
    last.delete()
    make_slide(era, title="Servers and gateways, added", order=order)
    keep(era, "After")
    return era


def edited_exercise():
    """An exercise of the fixtures with a wrong answer, and two revisions: a check deleted,
    another added."""
    exercise = Exercise.objects.order_by("pk").first()
    if not exercise.wrong_answers.exists():
        ExerciseWrongAnswer.objects.create(
            exercise=exercise, order=1, title="Hard-coded", rule="status", code="pass\n"
        )
    keep(exercise, "Before")
    last = exercise.checks.order_by("-order").first()
    order = last.order
    last.delete()
    ExerciseCheck.objects.create(exercise=exercise, order=order, name="Added check", status=200)
    keep(exercise, "After")
    return exercise


def revision_pages(obj, prefix):
    newer, older = Version.objects.get_for_object(obj)[:2]
    base = f"/admin/timeline/{obj._meta.model_name}/{obj.pk}"
    return {
        f"{prefix}change": f"{base}/change/",
        f"{prefix}history": f"{base}/history/",
        f"{prefix}compare": f"{base}/history/compare/?older={older.pk}&newer={newer.pk}",
    }


def admin_pages(era):
    pages = revision_pages(era, "")
    return {
        "era change": pages.pop("change"),
        **pages,
        **revision_pages(edited_exercise(), "exercise "),
        "export preview": "/admin/timeline/era/export-fixtures/",
        "era change with a draft": pages["history"].replace("history/", "change/"),
        "history with a draft": pages["history"],
    }


PAGES = [
    "era change",
    "history",
    "compare",
    "export preview",
    "exercise change",
    "exercise history",
    "exercise compare",
    "era change with a draft",
    "history with a draft",
]


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation_on_the_admin_pages(
    live_server, scheme_page, axe_source, django_user_model, name
):
    page, _scheme = scheme_page
    user = django_user_model.objects.create_superuser(
        STAFF_USER[0], "ed@example.org", STAFF_USER[1]
    )
    era = edited_era()
    if "draft" in name:
        EraDraft.objects.create(era=era, data=[["title", "WSGI, drafted"]], author=user)
    login(page, live_server)
    page.goto(live_server.url + admin_pages(era)[name])
    results = audit(page, axe_source)
    assert results["passes"], "axe ran no check at all"
    assert not results["violations"], describe(results["violations"])
