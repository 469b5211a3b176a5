"""Two editors on one change form: no save silently overwrites the other's.

Each editor GETs the page and POSTs the form built from it (as a browser would), the second
one from the page as it was before the first one saved."""

import html

import pytest
from django.urls import reverse

from timeline.models import CodeSample, Era, Slide

from .factories import make_era, make_exercise, make_sample, make_slide, make_talk
from .form_post import editors, form_pairs, opened, post_pairs, set_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(django_user_model):
    return editors(django_user_model, "alice", "bob")


@pytest.fixture
def era():
    era = make_era(title="WSGI")
    make_slide(era, title="A", body="First body.\n")
    make_slide(era, title="B", body="Second body.\n")
    make_slide(era, title="C", body="Third body.\n")
    return era


def era_url(era):
    return reverse("admin:timeline_era_change", args=[era.pk])


def slides(era):
    return list(era.slides.order_by("order").values_list("title", "body"))


def notices(client, response):
    return " ".join(str(m) for m in client.get(response.url).context["messages"])


def text(response):
    return html.unescape(response.content.decode())


def rotate_first_to_last(pairs):
    """Alice's move: A goes last (orders 1, 2, 3 become 3, 1, 2), as the Move buttons do."""
    return set_values({"slides-0-order": "3", "slides-1-order": "1", "slides-2-order": "2"})(pairs)


@pytest.mark.parametrize("first", ["alice", "bob"])
def test_a_reorder_and_an_edit_from_pages_opened_together_merge(two, era, first):
    """Alice moves a slide, Bob edits a body, each on the page they opened before the other
    saved, in either order: both the order and the text are kept, and the second to save is
    told who saved since and what of theirs was kept."""
    alice, bob = two
    url = era_url(era)
    posts = {
        "alice": (alice, opened(alice, url, "era_form", rotate_first_to_last)),
        "bob": (bob, opened(bob, url, "era_form", set_values({"slides-1-body": "Bob's body."}))),
    }
    second = "bob" if first == "alice" else "alice"
    assert post_pairs(posts[first][0], url, posts[first][1]).status_code == 302
    response = post_pairs(posts[second][0], url, posts[second][1])
    assert response.status_code == 302, text(response)[:3000]
    assert slides(era) == [("B", "Bob's body.\n"), ("C", "Third body.\n"), ("A", "First body.\n")]
    said = notices(posts[second][0], response)
    assert f"{first} at" in said and "Their changes were kept" in said


def test_edits_of_different_fields_of_one_era_merge(two, era):
    alice, bob = two
    url = era_url(era)
    alices = opened(alice, url, "era_form", set_values({"summary": "Alice's summary."}))
    bobs = opened(bob, url, "era_form", set_values({"title": "WSGI (PEP 333)"}))
    assert post_pairs(alice, url, alices).status_code == 302
    assert post_pairs(bob, url, bobs).status_code == 302
    era.refresh_from_db()
    assert (era.title, era.summary) == ("WSGI (PEP 333)", "Alice's summary.")


def test_the_same_field_changed_by_both_is_refused_with_both_values(two, era):
    """Both edit slide B's body: Bob's save is refused, the page names Alice and shows her
    text and his, his text is still in the form, and nothing of his was saved. Saving on top
    then keeps his body and Alice's other change."""
    alice, bob = two
    url = era_url(era)
    alices = opened(
        alice,
        url,
        "era_form",
        set_values({"slides-1-body": "Alice's body.", "slides-2-title": "C by Alice"}),
    )
    bobs = opened(bob, url, "era_form", set_values({"slides-1-body": "Bob's body."}))
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 200
    page = text(response)
    assert "Not saved" in page and "alice at " in page
    assert "Alice's body." in page  # theirs, in the table and on the field
    assert "Bob's body.</textarea>" in page  # his, still typed
    assert "Save anyway on top of the current version" in page
    assert f"{url.removesuffix('change/')}history/compare/?older=" in page
    assert slides(era)[1] == ("B", "Alice's body.\n")

    on_top = form_pairs(response.content.decode(), "era_form", submit=None)
    button = dict(form_pairs(response.content.decode(), "era_form", submit=None))
    assert "_on_top" not in button  # the button's value is sent only when it is pressed
    token = response.context["edit_on_top"]
    response = post_pairs(bob, url, [*on_top, ("_on_top", token)])
    assert response.status_code == 302, text(response)[:3000]
    assert slides(era) == [
        ("A", "First body.\n"),
        ("B", "Bob's body.\n"),
        ("C by Alice", "Third body.\n"),
    ]


def test_saving_on_top_is_refused_again_when_theirs_changed_after_the_conflict(two, era):
    alice, bob = two
    url = era_url(era)
    first = opened(alice, url, "era_form", set_values({"slides-0-title": "A1"}))
    bobs = opened(bob, url, "era_form", set_values({"slides-0-title": "A by Bob"}))
    assert post_pairs(alice, url, first).status_code == 302
    conflict = post_pairs(bob, url, bobs)
    assert conflict.status_code == 200
    second = opened(alice, url, "era_form", set_values({"slides-0-title": "A2"}))
    assert post_pairs(alice, url, second).status_code == 302  # theirs again, after the notice
    again = form_pairs(conflict.content.decode(), "era_form", submit=None)
    response = post_pairs(bob, url, [*again, ("_on_top", conflict.context["edit_on_top"])])
    assert response.status_code == 200
    assert "A2" in text(response)
    assert slides(era)[0][0] == "A2"


def test_a_slide_deleted_while_another_edits_it(two, era):
    """Alice deletes slide B; Bob had edited its body: refused with a message naming the
    slide, his text kept on the row; saving on top adds it back with his text, last."""
    alice, bob = two
    url = era_url(era)
    alices = opened(alice, url, "era_form", lambda pairs: [*pairs, ("slides-1-DELETE", "on")])
    bobs = opened(bob, url, "era_form", set_values({"slides-1-body": "Bob's words."}))
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 200
    page = text(response)
    assert "Deleted by them while you were editing it: slide “B”" in page
    assert "was deleted since you opened the page" in page  # on the row itself
    assert "Select a valid choice" not in page
    assert "Bob's words.</textarea>" in page
    assert [title for title, _ in slides(era)] == ["A", "C"]

    again = form_pairs(response.content.decode(), "era_form", submit=None)
    response = post_pairs(bob, url, [*again, ("_on_top", response.context["edit_on_top"])])
    assert response.status_code == 302, [
        (f.errors, f.non_form_errors())
        for f in (i.formset for i in response.context["inline_admin_formsets"])
    ]
    assert slides(era) == [("A", "First body.\n"), ("C", "Third body.\n"), ("B", "Bob's words.\n")]
    assert "added back with your edits: slide “B”" in notices(bob, response)


def test_a_slide_deleted_that_the_other_did_not_touch_stays_deleted(two, era):
    alice, bob = two
    url = era_url(era)
    alices = opened(alice, url, "era_form", lambda pairs: [*pairs, ("slides-1-DELETE", "on")])
    bobs = opened(bob, url, "era_form", set_values({"slides-0-body": "Bob's words."}))
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 302, text(response)[:3000]
    assert slides(era) == [("A", "Bob's words.\n"), ("C", "Third body.\n")]
    assert "Deleted by them, and not edited by you: slide “B”" in notices(bob, response)


def test_deleting_a_slide_someone_changed_since_is_refused(two, era):
    alice, bob = two
    url = era_url(era)
    alices = opened(alice, url, "era_form", set_values({"slides-1-body": "Alice's body."}))
    bobs = opened(bob, url, "era_form", lambda pairs: [*pairs, ("slides-1-DELETE", "on")])
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 200
    assert "not deleted" in text(response)
    assert slides(era)[1] == ("B", "Alice's body.\n")


def without(name):
    return lambda pairs: [(key, value) for key, value in pairs if key != name]


@pytest.mark.parametrize(
    "change, said",
    [
        (without("_version"), "did not say which version"),
        (set_values({"_version": "garbage"}), "could not be read"),
        (
            set_values({"_version": "eyJvYmplY3QiOiJ0aW1lbGluZS5lcmE6MSJ9:forged:sig"}),
            "could not be read",
        ),
    ],
)
def test_a_missing_or_forged_version_is_refused_with_a_message(two, era, change, said):
    """Without a version the form cannot show it saw the current state: it is refused like a
    stale one (nothing saved, everything typed kept), never a 500."""
    _, bob = two
    url = era_url(era)
    bobs = opened(bob, url, "era_form", lambda p: change(set_values({"title": "Typed"})(p)))
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 200
    page = text(response)
    assert said in page and 'value="Typed"' in page
    assert Era.objects.get(pk=era.pk).title == "WSGI"
    again = form_pairs(response.content.decode(), "era_form", submit=None)
    response = post_pairs(bob, url, [*again, ("_on_top", response.context["edit_on_top"])])
    assert response.status_code == 302
    assert Era.objects.get(pk=era.pk).title == "Typed"


def test_another_eras_version_is_refused(two, era):
    _, bob = two
    other = make_era()
    theirs = bob.get(era_url(other)).context["edit_version"]
    bobs = opened(bob, era_url(era), "era_form", set_values({"_version": theirs, "title": "X"}))
    response = post_pairs(bob, era_url(era), bobs)
    assert response.status_code == 200 and "opened from another page" in text(response)
    assert Era.objects.get(pk=era.pk).title == "WSGI"


def test_the_version_is_signed(two, era):
    """A version is derived from the rows (no column), and cannot be made up by the page."""
    _, bob = two
    version = bob.get(era_url(era)).context["edit_version"]
    assert version.count(":") >= 2  # django.core.signing
    assert "_version" in dict(form_pairs(bob.get(era_url(era)).content.decode(), "era_form"))


def test_sample_page_merges_and_refuses(two):
    alice, bob = two
    sample = make_sample(make_era(), title="Hello", code="print(1)\n")
    url = reverse("admin:timeline_codesample_change", args=[sample.pk])
    alices = opened(alice, url, "codesample_form", set_values({"title": "Hello, world"}))
    bobs = opened(bob, url, "codesample_form", set_values({"code": "print(2)"}))
    conflicting = opened(bob, url, "codesample_form", set_values({"title": "Hi"}))
    assert post_pairs(alice, url, alices).status_code == 302
    assert post_pairs(bob, url, bobs).status_code == 302
    sample = CodeSample.objects.get(pk=sample.pk)
    assert (sample.title, sample.code) == ("Hello, world", "print(2)\n")
    response = post_pairs(bob, url, conflicting)
    assert response.status_code == 200 and "Hello, world" in text(response)
    assert CodeSample.objects.get(pk=sample.pk).title == "Hello, world"


def test_talk_page_refuses_the_same_field(two):
    alice, bob = two
    talk = make_talk([make_era(), make_era()], title="Cut")
    url = reverse("admin:timeline_talk_change", args=[talk.pk])
    alices = opened(alice, url, "talk_form", set_values({"title": "Alice's cut"}))
    bobs = opened(bob, url, "talk_form", set_values({"title": "Bob's cut"}))
    assert post_pairs(alice, url, alices).status_code == 302
    response = post_pairs(bob, url, bobs)
    assert response.status_code == 200
    assert "Alice's cut" in text(response) and 'value="Bob&#x27;s cut"' in response.content.decode()


def test_exercise_checks_merge(two):
    """Rows of an exercise merge; a clash names who saved since and links to the compare page
    (exercises keep revisions as eras do)."""
    alice, bob = two
    exercise = make_exercise(make_era(), checks=2)
    url = reverse("admin:timeline_exercise_change", args=[exercise.pk])
    alices = opened(alice, url, "exercise_form", set_values({"checks-0-name": "Alice's"}))
    bobs = opened(bob, url, "exercise_form", set_values({"checks-1-name": "Bob's"}))
    clash = opened(bob, url, "exercise_form", set_values({"checks-0-name": "Bob's too"}))
    assert post_pairs(alice, url, alices).status_code == 302
    assert post_pairs(bob, url, bobs).status_code == 302
    assert list(exercise.checks.order_by("order").values_list("name", flat=True)) == [
        "Alice's",
        "Bob's",
    ]
    response = post_pairs(bob, url, clash)
    assert response.status_code == 200
    assert "Saved since you opened it" in text(response)
    assert "<li>alice at " in text(response) and "<li>bob at " in text(response)
    compare = reverse("admin:timeline_exercise_compare", args=[exercise.pk])
    assert f'href="{compare}?older=' in response.content.decode()


def test_an_unchanged_save_from_a_fresh_page_is_not_a_conflict(admin_client_logged, era):
    url = era_url(era)
    response = post_pairs(
        admin_client_logged, url, opened(admin_client_logged, url, "era_form", list)
    )
    assert response.status_code == 302
    assert "Saved on top" not in notices(admin_client_logged, response)
    assert Slide.objects.filter(era=era).count() == 3


@pytest.mark.shared
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_cannot_both_pass_the_check(django_user_model, monkeypatch):
    """Alice's save is held inside its transaction, after its check; Bob's save of the same
    field starts meanwhile. Bob's check must wait for Alice's commit and see her change: one
    save goes through and the other is refused, never both. (PostgreSQL: row locks; the
    PostgreSQL pass of .ci/run runs it.)"""
    import threading
    import time

    from django.db import connection, connections

    from timeline.admin import concurrency, merging

    if connection.vendor != "postgresql":
        pytest.skip("needs the test database on PostgreSQL (DATABASE_URL), as .ci/run's pass")
    alice, bob = editors(django_user_model, "alice", "bob")
    era = make_era(title="WSGI")
    url = era_url(era)
    alices = opened(alice, url, "era_form", set_values({"title": "Alice's"}))
    bobs = opened(bob, url, "era_form", set_values({"title": "Bob's"}))
    bob_started, results = threading.Event(), {}
    real_lock, real_save_related = merging.lock_row, concurrency.EditVersionMixin.save_related

    def lock_row(model, pk):
        if threading.current_thread().name == "bob":
            bob_started.set()
        real_lock(model, pk)

    def save_related(self, request, *args):
        real_save_related(self, request, *args)
        if request.user.username == "alice":
            bob_started.wait(10)
            time.sleep(0.5)  # Bob's request is now at its check (or waiting for the lock)

    monkeypatch.setattr(concurrency, "lock_row", lock_row)
    monkeypatch.setattr(concurrency.EditVersionMixin, "save_related", save_related)

    def save(name, client, pairs):
        try:
            results[name] = post_pairs(client, url, pairs).status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=("alice", alice, alices), name="alice")]
    threads[0].start()
    time.sleep(0.2)
    threads.append(threading.Thread(target=save, args=("bob", bob, bobs), name="bob"))
    threads[1].start()
    for thread in threads:
        thread.join(30)
    assert sorted(results.values()) == [200, 302], results
    saved = next(name for name, status in results.items() if status == 302)
    assert Era.objects.get(pk=era.pk).title == {"alice": "Alice's", "bob": "Bob's"}[saved]
