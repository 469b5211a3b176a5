"""Changes made outside the era's own form are revisions of the era: a save on a sample's,
slide's or reference's page, Record, talk notes; and a revision keeps a slide's talk notes."""

import pytest
from django.urls import reverse
from reversion.models import Version

from timeline.models import CodeSample, Slide, TalkNote
from timeline.runner import record as record_module

from .factories import make_era, make_reference, make_sample, make_slide, make_talk
from .form_post import post_form
from .test_admin_revisions import revert, save, set_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def era():
    era = make_era(slug="wsgi", title="WSGI")
    make_slide(era, title="Why a standard")
    make_slide(era, title="The callable")
    make_sample(era, title="Hello WSGI", expected_output="old output\n")
    make_reference(era)
    return era


def history_entries(client, era):
    """[(author, comment)] of the era's History, newest first, as the page lists them."""
    page = client.get(reverse("admin:timeline_era_history", args=[era.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    versions = page.context["versions"]
    entries = []
    for version in versions:
        user = version.revision.user
        entries.append((user.get_username() if user else None, version.revision.comment))
        assert version.revision.comment in html
    return entries


def save_own_page(client, obj, **values):
    info = f"admin:timeline_{obj._meta.model_name}"
    url = reverse(f"{info}_change", args=[obj.pk])
    response = post_form(client, url, f"{obj._meta.model_name}_form", change=set_values(values))
    assert response.status_code == 302, response.content.decode()[:2000]


def era_version_with(era, text):
    versions = Version.objects.get_for_object(era)
    return next(v for v in versions if text in v.revision.comment)


def test_a_save_on_a_samples_own_page_is_a_revision_of_its_era(admin_client_logged, era):
    sample = era.samples.get()
    save_own_page(admin_client_logged, sample, title="Hello, WSGI", code="print('changed')\n")
    author, comment = history_entries(admin_client_logged, era)[0]
    assert author == "admin"
    assert "Hello, WSGI" in comment and "Changed" in comment
    before = Version.objects.get_for_object(era).last()  # the state before, no author
    assert before.revision.user is None
    revert(admin_client_logged, era, before)
    sample.refresh_from_db()
    assert (sample.title, sample.code) == ("Hello WSGI", "print('hi')\n")


def test_reverting_to_a_revision_after_a_sample_page_save_keeps_it(admin_client_logged, era):
    sample = era.samples.get()
    save_own_page(admin_client_logged, sample, title="Kept title")
    kept = era_version_with(era, "Kept title")
    save(admin_client_logged, era, **{"summary": "Later era edit."})
    revert(admin_client_logged, era, kept)
    assert CodeSample.objects.get(pk=sample.pk).title == "Kept title"


def test_a_save_on_a_slides_and_a_references_page_are_revisions_of_the_era(
    admin_client_logged, era
):
    save_own_page(admin_client_logged, era.slides.first(), title="Why one standard")
    save_own_page(admin_client_logged, era.references.get(), title="PEP 3333, read again")
    comments = [comment for _, comment in history_entries(admin_client_logged, era)]
    assert "PEP 3333, read again" in comments[0] and "Why one standard" in comments[1]


def test_record_is_a_revision_of_the_era_and_a_revert_undoes_it(
    admin_client_logged, era, monkeypatch
):
    def fake_record(sample):  # the sandbox's run, without the sandbox
        sample.expected_output = "recorded output\n"
        sample.save(update_fields=["expected_output"])
        return None, True

    monkeypatch.setattr(record_module, "record", fake_record)
    sample = era.samples.get()
    url = reverse("admin:timeline_codesample_record", args=[sample.pk])
    assert admin_client_logged.post(url).status_code == 302
    assert CodeSample.objects.get(pk=sample.pk).expected_output == "recorded output\n"
    author, comment = history_entries(admin_client_logged, era)[0]
    assert author == "admin" and "Recorded the output of “Hello WSGI”" in comment
    revert(admin_client_logged, era, Version.objects.get_for_object(era).last())
    assert CodeSample.objects.get(pk=sample.pk).expected_output == "old output\n"


def test_deleting_a_slide_keeps_its_talk_notes_and_a_revert_restores_them(admin_client_logged, era):
    slide = era.slides.get(title="The callable")
    talks = [make_talk([era]), make_talk([era])]
    for talk in talks:
        TalkNote.objects.create(talk=talk, slide=slide, notes=f"Notes for {talk.title}.\n")
    save(admin_client_logged, era, delete=["slides-1"])
    assert not Slide.objects.filter(pk=slide.pk).exists()
    assert TalkNote.objects.count() == 0
    revert(admin_client_logged, era, Version.objects.get_for_object(era).last())
    restored = Slide.objects.get(pk=slide.pk)
    notes = sorted(restored.talk_notes.values_list("talk__title", "notes"))
    assert notes == sorted((talk.title, f"Notes for {talk.title}.\n") for talk in talks)


def test_talk_notes_edited_on_the_talk_are_revisions_of_the_talk_and_the_era(
    admin_client_logged, era
):
    slide = era.slides.get(title="The callable")
    talk = make_talk([era])
    TalkNote.objects.create(talk=talk, slide=slide, notes="First notes.\n")
    url = reverse("admin:timeline_talk_change", args=[talk.pk])
    response = post_form(
        admin_client_logged, url, "talk_form", change=set_values({"notes-0-notes": "Better.\n"})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    talk_revision = Version.objects.get_for_object(talk).first().revision
    author, comment = history_entries(admin_client_logged, era)[0]
    assert author == "admin" and talk.title in comment
    assert Version.objects.get_for_object(era).first().revision == talk_revision
    revert(admin_client_logged, era, Version.objects.get_for_object(era).last())
    assert TalkNote.objects.get().notes == "First notes.\n"


def compare(client, era, older, newer):
    url = reverse("admin:timeline_era_compare", args=[era.pk])
    return client.get(url, {"older": older.pk, "newer": newer.pk}).content.decode()


def test_compare_shows_an_added_and_a_deleted_slide_as_such(admin_client_logged, era):
    """The last slide deleted and another added in its place: by position they would read
    as the first renamed into the second; by identity, one deleted and one added."""
    save(admin_client_logged, era)
    older = Version.objects.get_for_object(era).first()
    save(admin_client_logged, era, delete=["slides-1"])
    make_slide(era, title="Servers and gateways", order=2)
    save(admin_client_logged, era)
    newer = Version.objects.get_for_object(era).first()
    page = compare(admin_client_logged, era, older, newer)
    assert "@@ deleted: slide “" in page and "The callable" in page
    assert '<span class="diff-removed">-title: The callable</span>' in page
    assert "@@ added: slide “" in page
    assert '<span class="diff-added">+title: Servers and gateways</span>' in page
    assert "changed: slide" not in page
    assert "Why a standard" not in page  # the unchanged slide is not listed


def test_reverting_to_a_revision_that_kept_no_notes_keeps_the_talks_notes(admin_client_logged, era):
    """A revision saved before revisions held talk notes has none: reverting to it must not
    delete every note of the era's slides as if added since. One that holds notes restores
    them, removing a note added since."""
    slide = era.slides.get(title="The callable")
    talk = make_talk([era])
    save(admin_client_logged, era, **{"summary": "Old revision."})
    old = Version.objects.get_for_object(era).first()
    old.revision.version_set.filter(content_type__model="talknote").delete()  # none anyway
    TalkNote.objects.create(talk=talk, slide=slide, notes="Written later.\n")
    revert(admin_client_logged, era, old)
    assert list(TalkNote.objects.values_list("notes", flat=True)) == ["Written later.\n"]
    other = era.slides.get(title="Why a standard")
    save(admin_client_logged, era, **{"summary": "Holds a note."})
    holding = Version.objects.get_for_object(era).first()
    TalkNote.objects.create(talk=talk, slide=other, notes="Added since.\n")
    revert(admin_client_logged, era, holding)
    assert list(TalkNote.objects.values_list("notes", flat=True)) == ["Written later.\n"]


def test_deleting_a_sample_on_its_own_page_is_a_revision_of_the_era(admin_client_logged, era):
    sample = era.samples.get()
    url = reverse("admin:timeline_codesample_delete", args=[sample.pk])
    assert admin_client_logged.post(url, {"post": "yes"}).status_code == 302
    assert not CodeSample.objects.filter(pk=sample.pk).exists()
    author, comment = history_entries(admin_client_logged, era)[0]
    assert author == "admin" and comment == "Code sample “WSGI: Hello WSGI”: Deleted."
    revert(admin_client_logged, era, Version.objects.get_for_object(era).last())
    assert CodeSample.objects.get(pk=sample.pk).title == "Hello WSGI"
