"""An exercise in the admin as an era is: each save a revision with its checks and wrong
answers, History with compare (rows matched by identity) and revert, the code editor on its
code fields, and nothing to change for a user who may only view."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from reversion.models import Version

from timeline import revisions
from timeline.models import Exercise, ExerciseCheck, ExerciseWrongAnswer

from .factories import make_era, make_exercise
from .form_post import form_pairs, post_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercise():
    exercise = make_exercise(make_era(), checks=2, slug="greet", title="Greet")
    ExerciseWrongAnswer.objects.create(
        exercise=exercise, order=1, title="hard-codes", rule="greets", code="print('hi')\n"
    )
    return exercise


def change_url(exercise):
    return reverse("admin:timeline_exercise_change", args=[exercise.pk])


def save(client, exercise, delete=(), **values):
    """Save the exercise's admin form with `values` changed and the `delete` rows ticked."""

    def change(pairs):
        changed = [(name, values.get(name, value)) for name, value in pairs]
        return changed + [(f"{row}-DELETE", "on") for row in delete]

    response = post_form(client, change_url(exercise), "exercise_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]


def checks(exercise):
    return list(exercise.checks.order_by("order").values_list("name", flat=True))


def test_each_save_is_a_revision_with_its_checks_and_wrong_answers(admin_client_logged, exercise):
    save(admin_client_logged, exercise, **{"checks-0-name": "greets Ada"})
    versions = Version.objects.get_for_object(exercise)
    assert versions.count() == 2  # the state before the first change, then the save
    assert versions.last().revision.comment == revisions.FIRST_STATE_COMMENT
    revision = versions.first().revision
    assert revision.user.get_username() == "admin"
    held = sorted(v.content_type.model for v in revision.version_set.all())
    assert held == ["exercise", "exercisecheck", "exercisecheck", "exercisewronganswer"]
    history = admin_client_logged.get(
        reverse("admin:timeline_exercise_history", args=[exercise.pk])
    )
    page = history.content.decode()
    assert "with its checks and wrong answers, is a revision" in page
    assert reverse("admin:timeline_exercise_compare", args=[exercise.pk]) in page


def test_compare_matches_checks_by_identity(admin_client_logged, exercise):
    """The first check deleted and one added after the second: one block deleted, one added,
    never the first renamed into the second."""
    save(admin_client_logged, exercise)
    older = Version.objects.get_for_object(exercise).first()
    save(admin_client_logged, exercise, delete=["checks-0"], **{"checks-1-body": "hello Ada"})
    ExerciseCheck.objects.create(exercise=exercise, order=3, name="check 3", status=200)
    save(admin_client_logged, exercise)
    newer = Version.objects.get_for_object(exercise).first()
    compare = reverse("admin:timeline_exercise_compare", args=[exercise.pk])
    response = admin_client_logged.get(compare, {"older": older.pk, "newer": newer.pk})
    page = response.content.decode()
    assert "@@ deleted: exercise check “check 1” @@" in page
    assert "@@ added: exercise check “check 3” @@" in page
    assert "@@ changed: exercise check “check 2” @@" in page
    assert '"diff-removed">-    hello<' in page and '"diff-added">+    hello Ada<' in page
    assert "Revert to the older revision" in page


def test_reverting_puts_back_a_swap_and_a_deleted_wrong_answer(admin_client_logged, exercise):
    """A revert restores rows one by one; the unique order per exercise must not stop it."""
    save(admin_client_logged, exercise)
    kept = Version.objects.get_for_object(exercise).first()
    save(
        admin_client_logged,
        exercise,
        delete=["wrong_answers-0"],
        **{"checks-0-order": "2", "checks-1-order": "1", "title": "Greet again"},
    )
    assert checks(exercise) == ["check 2", "check 1"]
    assert not exercise.wrong_answers.exists()
    url = reverse("admin:timeline_exercise_revision", args=[exercise.pk, kept.pk])
    assert admin_client_logged.get(url).status_code == 200
    assert checks(exercise) == ["check 2", "check 1"]  # looking changes nothing
    response = post_form(admin_client_logged, url, "exercise_form")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert checks(exercise) == ["check 1", "check 2"]
    assert list(exercise.wrong_answers.values_list("title", flat=True)) == ["hard-codes"]
    assert Exercise.objects.get(pk=exercise.pk).title == "Greet"


def test_code_fields_use_the_code_editor(admin_client_logged, exercise):
    """The learner's code follows the exercise's language; a check's request is HTTP."""
    page = admin_client_logged.get(change_url(exercise)).content.decode()
    assert "js/admin-code-editor.js" in page
    for name in ("starter", "solution", "wrong_answers-0-code"):
        tag = page[page.index(f'name="{name}"') - 300 : page.index(f'name="{name}"') + 200]
        assert 'data-code-language-from="language"' in tag, name
    for name in ("checks-0-request", "checks-0-headers", "checks-0-inner_response"):
        tag = page[page.index(f'name="{name}"') - 300 : page.index(f'name="{name}"') + 200]
        assert 'data-code-language="http"' in tag, name


@pytest.fixture
def viewer(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)
    return client


def test_a_viewer_sees_no_change_control_and_every_post_is_refused(
    admin_client_logged, viewer, exercise
):
    save(admin_client_logged, exercise)
    version = Version.objects.get_for_object(exercise).first()
    page = viewer.get(change_url(exercise))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert not [name for name, _ in form_pairs(html, "exercise_form") if name.endswith("order")]
    revision = reverse("admin:timeline_exercise_revision", args=[exercise.pk, version.pk])
    history = viewer.get(reverse("admin:timeline_exercise_history", args=[exercise.pk]))
    assert history.status_code == 200 and revision not in history.content.decode()
    changelist = viewer.get(reverse("admin:timeline_exercise_changelist")).content.decode()
    assert 'name="action"' not in changelist
    full = post_pairs_of(admin_client_logged, exercise)
    before = (Version.objects.count(), list(ExerciseCheck.objects.values()))
    for url in (change_url(exercise), revision):
        assert viewer.post(url, full).status_code == 403, url
    delete = reverse("admin:timeline_exercise_delete", args=[exercise.pk])
    assert viewer.post(delete, {"post": "yes"}).status_code == 403
    assert (Version.objects.count(), list(ExerciseCheck.objects.values())) == before
    assert Exercise.objects.get(pk=exercise.pk).title == "Greet"


def post_pairs_of(client, exercise):
    """The change form as a superuser would post it, with every check renamed."""
    html = client.get(change_url(exercise)).content.decode()
    pairs = form_pairs(html, "exercise_form")
    return {
        name: value + " (changed)" if name.endswith(("name", "title")) else value
        for name, value in pairs
    }
