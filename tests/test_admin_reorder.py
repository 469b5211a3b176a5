"""Reordering an era's slides, samples and references, and a talk's eras, in one POST."""

import pytest
from django.urls import reverse

from timeline.models import CodeSample, Reference, Slide

from .factories import (
    make_era,
    make_exercise,
    make_reference,
    make_sample,
    make_slide,
    make_talk,
)
from .form_post import add_row, editors, opened, post_form, post_pairs, set_values

pytestmark = pytest.mark.django_db


def test_swapping_two_slides_saves(admin_client_logged):
    """Slide 1 to 2 and slide 2 to 1 in one POST: saved, no IntegrityError."""
    era = make_era()
    make_slide(era, title="First")
    make_slide(era, title="Second")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    change = set_values({"slides-0-order": "2", "slides-1-order": "1"})
    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.order_by("order").values_list("title", flat=True)) == ["Second", "First"]


def test_any_permutation_of_samples_saves_in_one_post(admin_client_logged):
    """Four samples reversed, one of them also renamed: one POST, no constraint error."""
    era = make_era()
    for n in range(1, 5):
        make_sample(era, title=f"S{n}")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {f"samples-{i}-order": str(4 - i) for i in range(4)}
    values["samples-2-title"] = "S3 renamed"
    response = post_form(admin_client_logged, url, "era_form", change=set_values(values))
    assert response.status_code == 302, response.content.decode()[:3000]
    titles = list(era.samples.order_by("order").values_list("title", flat=True))
    assert titles == ["S4", "S3 renamed", "S2", "S1"]


def test_deleting_a_slide_and_moving_another_into_its_place(admin_client_logged):
    era = make_era()
    for n in range(1, 4):
        make_slide(era, title=f"T{n}")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {"slides-0-DELETE": "on", "slides-2-order": "1", "slides-1-order": "3"}

    def change(pairs):
        pairs = set_values(values)(pairs)
        return pairs + [("slides-0-DELETE", "on")]

    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.values_list("order", "title")) == [(1, "T3"), (3, "T2")]


def test_a_talks_eras_rotate_in_one_post(admin_client_logged):
    eras = [make_era(title=f"E{n}") for n in range(3)]
    talk = make_talk(eras)
    url = reverse("admin:timeline_talk_change", args=[talk.pk])
    values = {"items-0-order": "3", "items-1-order": "1", "items-2-order": "2"}
    response = post_form(admin_client_logged, url, "talk_form", change=set_values(values))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [era.title for era in talk.ordered_eras()] == ["E1", "E2", "E0"]


def test_duplicate_orders_show_an_error_and_keep_every_other_edit(admin_client_logged):
    """Two slides at one position: the form comes back with the error and the editor's
    other changes still in it; nothing is saved."""
    era = make_era(summary="Old summary.")
    make_slide(era, title="A")
    make_slide(era, title="B")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {
        "slides-1-order": "1",
        "slides-0-title": "A, edited",
        "summary": "New summary.",
    }
    response = post_form(admin_client_logged, url, "era_form", change=set_values(values))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the duplicate data for order" in html
    assert 'value="A, edited"' in html and "New summary." in html
    era.refresh_from_db()
    assert era.summary == "Old summary."
    assert list(era.slides.values_list("order", "title")) == [(1, "A"), (2, "B")]


def test_an_order_out_of_range_is_a_form_error_not_a_crash(admin_client_logged):
    era = make_era()
    make_slide(era)
    make_slide(era)
    url = reverse("admin:timeline_era_change", args=[era.pk])
    change = set_values({"slides-0-order": "40000", "slides-1-order": "-1"})
    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Slide.objects.filter(era=era).count() == 2


def test_parked_rows_never_overflow_a_small_integer(admin_client_logged):
    """Rows parked mid-save take free orders, even when the highest order is the largest."""
    era = make_era()
    make_slide(era, order=32767, title="Last")
    make_slide(era, order=1, title="First")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    change = set_values({"slides-0-order": "32767", "slides-1-order": "1"})
    # Forms list rows by order: slides-0 is "First" (1), slides-1 is "Last" (32767): swap them.
    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.values_list("order", "title")) == [(1, "Last"), (32767, "First")]
    assert CodeSample.objects.count() == 0


def test_swapping_two_references_saves(admin_client_logged):
    """References 1 and 2 change places in one POST, and the era page lists them so."""
    era = make_era(slug="refs-swap")
    make_reference(era, title="PEP 333", kind="pep")
    make_reference(era, title="wsgiref docs", kind="docs")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    change = set_values({"references-0-order": "2", "references-1-order": "1"})
    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    titles = list(era.references.order_by("order").values_list("title", flat=True))
    assert titles == ["wsgiref docs", "PEP 333"]
    page = admin_client_logged.get(era.get_absolute_url()).content.decode()
    assert page.index("wsgiref docs") < page.index("PEP 333")


def test_a_reference_error_keeps_every_other_edit(admin_client_logged):
    """Two references at one position: the error is on the form, every other edit (era,
    slides, references) is still in it, and nothing is saved."""
    era = make_era(summary="Old summary.")
    make_slide(era, title="A slide")
    make_reference(era, title="First source")
    make_reference(era, title="Second source")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {
        "references-1-order": "1",
        "references-0-title": "First source, edited",
        "slides-0-title": "A slide, edited",
        "summary": "New summary.",
    }
    response = post_form(admin_client_logged, url, "era_form", change=set_values(values))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the duplicate data for order" in html
    for kept in ("First source, edited", "A slide, edited", "New summary."):
        assert kept in html
    assert list(era.references.values_list("order", "title")) == [
        (1, "First source"),
        (2, "Second source"),
    ]
    assert Slide.objects.get(era=era).title == "A slide"


FORGED_ORDERS = ["0", "-1", "40000", "99999999999999999999", "abc", "", "1.5", "1e3", "0x10", " "]


@pytest.mark.parametrize("prefix", ["slides", "samples", "references"])
@pytest.mark.parametrize("forged", FORGED_ORDERS)
def test_forged_orders_are_a_form_error_that_keeps_other_edits(admin_client_logged, prefix, forged):
    """Whatever a hostile POST puts in an order field, the answer is the form with an error
    beside that field and the other edits still in it; nothing is saved, nothing crashes."""
    era = make_era(summary="Old summary.")
    for n in (1, 2):
        make_slide(era, title=f"Slide {n}")
        make_sample(era, title=f"Sample {n}")
        make_reference(era, title=f"Source {n}")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {f"{prefix}-0-order": forged, "summary": "New summary.", "slides-1-title": "Kept"}
    response = post_form(admin_client_logged, url, "era_form", change=set_values(values))
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html and "New summary." in html and 'value="Kept"' in html
    era.refresh_from_db()
    assert era.summary == "Old summary."
    for model in (Slide, CodeSample, Reference):
        assert list(model.objects.filter(era=era).values_list("order", flat=True)) == [1, 2]


def test_a_duplicate_order_in_a_forged_extra_row_is_an_error(admin_client_logged):
    """A new reference posted at an existing one's position is refused, not a 500."""
    era = make_era()
    make_reference(era, title="Existing")
    url = reverse("admin:timeline_era_change", args=[era.pk])

    def change(pairs):
        pairs = set_values({"references-TOTAL_FORMS": "2"})(pairs)
        return pairs + [
            ("references-1-order", "1"),
            ("references-1-title", "New"),
            ("references-1-url", "https://example.org/new"),
            ("references-1-kind", "docs"),
            ("references-1-era", str(era.pk)),
        ]

    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 200
    assert "Please correct the duplicate data for order" in response.content.decode()
    assert list(era.references.values_list("title", flat=True)) == ["Existing"]


def test_swapping_two_exercise_checks_saves(admin_client_logged):
    """Check 1 to 2 and check 2 to 1 in one POST: saved, not an IntegrityError (a 500)."""
    exercise = make_exercise(make_era(), checks=2)
    url = reverse("admin:timeline_exercise_change", args=[exercise.pk])
    change = set_values({"checks-0-order": "2", "checks-1-order": "1"})
    response = post_form(admin_client_logged, url, "exercise_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    names = list(exercise.checks.order_by("order").values_list("name", flat=True))
    assert names == ["check 2", "check 1"]


def test_exercise_checks_have_move_buttons(admin_client_logged):
    exercise = make_exercise(make_era(), checks=2)
    page = admin_client_logged.get(reverse("admin:timeline_exercise_change", args=[exercise.pk]))
    assert "admin-reorder.js" in page.content.decode()


def test_two_editors_adding_a_slide_at_once_both_keep_theirs(django_user_model):
    """Alice and Bob open the era, each adds a slide (the page numbers it 3), Alice saves,
    then Bob: his slide goes after hers, he is told where, and nothing is a 500."""
    alice, bob = editors(django_user_model, "alice", "bob")
    era = make_era()
    make_slide(era, title="A")
    make_slide(era, title="B")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    alices = opened(alice, url, "era_form", add_row("slides", order="3", title="Alice's"))
    bobs = opened(bob, url, "era_form", add_row("slides", order="3", title="Bob's"))
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.values_list("order", "title")) == [
        (1, "A"),
        (2, "B"),
        (3, "Alice's"),
        (4, "Bob's"),
    ]
    notice = [str(m) for m in bob.get(response.url).context["messages"]]
    assert any("Bob's" in m and "at 4, not 3" in m for m in notice), notice


def test_concurrent_additions_of_samples_and_references_save_too(django_user_model):
    alice, bob = editors(django_user_model, "alice", "bob")
    era = make_era()
    make_sample(era, title="S1")
    make_reference(era, title="R1", url="https://example.org/1")
    url = reverse("admin:timeline_era_change", args=[era.pk])

    def additions(who):
        def change(pairs):
            pairs = add_row("samples", order="2", title=f"{who} sample", code="print(1)")(pairs)
            reference = {"order": "2", "title": f"{who} source", "kind": "docs"}
            return add_row("references", url=f"https://example.org/{who}", **reference)(pairs)

        return change

    alices = opened(alice, url, "era_form", additions("alice"))
    bobs = opened(bob, url, "era_form", additions("bob"))
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.samples.values_list("order", "title")) == [
        (1, "S1"),
        (2, "alice sample"),
        (3, "bob sample"),
    ]
    assert list(era.references.values_list("order", "title")) == [
        (1, "R1"),
        (2, "alice source"),
        (3, "bob source"),
    ]


def test_a_row_moved_onto_a_place_taken_since_goes_after_it(django_user_model):
    """Bob adds a slide and moves it first (A and B move down to 2 and 3) while Alice adds one
    at 3: Bob's B cannot have 3, so it goes last; no 500, no row lost."""
    alice, bob = editors(django_user_model, "alice", "bob")
    era = make_era()
    make_slide(era, title="A")
    make_slide(era, title="B")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    alices = opened(alice, url, "era_form", add_row("slides", order="3", title="Alice's"))

    def bobs_change(pairs):
        pairs = set_values({"slides-0-order": "2", "slides-1-order": "3"})(pairs)
        return add_row("slides", order="1", title="Bob's")(pairs)

    bobs = opened(bob, url, "era_form", bobs_change)
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.values_list("order", "title")) == [
        (1, "Bob's"),
        (2, "A"),
        (3, "Alice's"),
        (4, "B"),
    ]


def test_two_editors_adding_an_exercise_check_at_once(django_user_model):
    alice, bob = editors(django_user_model, "alice", "bob")
    exercise = make_exercise(make_era(), checks=1)
    url = reverse("admin:timeline_exercise_change", args=[exercise.pk])
    check = {"order": "2", "request": "GET / HTTP/1.1\r\n\r\n", "status": "200"}
    alices = opened(alice, url, "exercise_form", add_row("checks", name="Alice's", **check))
    bobs = opened(bob, url, "exercise_form", add_row("checks", name="Bob's", **check))
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 302, response.content.decode()[:3000]
    names = list(exercise.checks.values_list("order", "name"))
    assert names == [(1, "check 1"), (2, "Alice's"), (3, "Bob's")]
