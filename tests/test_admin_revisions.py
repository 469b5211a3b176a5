"""Revisions of an era (django-reversion): author and time, compare, revert."""

import pytest
from django.urls import reverse
from reversion.models import Version

from timeline import revisions
from timeline.models import Era, EraRelation, Slide

from .factories import make_era, make_reference, make_sample, make_slide
from .form_post import post_form

pytestmark = pytest.mark.django_db


def set_values(values):
    return lambda pairs: [(name, values.get(name, value)) for name, value in pairs]


@pytest.fixture
def era():
    era = make_era(slug="wsgi", title="WSGI")
    make_slide(era, title="Why a standard", body="Servers and frameworks agreed.\n")
    make_sample(era)
    make_reference(era)
    return era


def save(client, era, delete=(), **values):
    """Save the era's admin form with `values` changed and the `delete` rows ticked."""
    url = reverse("admin:timeline_era_change", args=[era.pk])

    def change(pairs):
        return set_values(values)(pairs) + [(f"{row}-DELETE", "on") for row in delete]

    response = post_form(client, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_each_admin_save_of_an_era_is_a_revision_with_its_inlines(admin_client_logged, era):
    """The first save also records the state before it (as loaded, no author), so the
    first edit can be reverted too; a second save adds one revision."""
    save(admin_client_logged, era, **{"slides-0-title": "Why one standard"})
    versions = Version.objects.get_for_object(era)
    assert versions.count() == 2
    first_state = versions.last()
    assert first_state.revision.user is None
    assert first_state.revision.comment == revisions.FIRST_STATE_COMMENT
    loaded = first_state.revision.version_set.get(content_type__model="slide")
    assert loaded.field_dict["title"] == "Why a standard"
    revision = versions.first().revision
    assert revision.user.get_username() == "admin"
    assert revision.date_created is not None
    models = sorted(v.content_type.model for v in revision.version_set.all())
    assert models == ["codesample", "era", "reference", "slide"]
    slide_version = revision.version_set.get(content_type__model="slide")
    assert slide_version.field_dict["title"] == "Why one standard"
    save(admin_client_logged, era, **{"summary": "Again."})
    assert Version.objects.get_for_object(era).count() == 3


def test_the_first_edit_can_be_reverted(admin_client_logged, era):
    save(admin_client_logged, era, **{"summary": "A regretted first edit."})
    revert(admin_client_logged, era, Version.objects.get_for_object(era).last())
    assert Era.objects.get(pk=era.pk).summary == era.summary


def test_two_revisions_compare_as_a_diff(admin_client_logged, era):
    save(admin_client_logged, era, **{"slides-0-title": "First title"})
    save(admin_client_logged, era, **{"slides-0-title": "Second title", "summary": "New."})
    history = admin_client_logged.get(reverse("admin:timeline_era_history", args=[era.pk]))
    html = history.content.decode()
    assert html.count('type="radio" name="older"') == 3  # with the state before the first
    newer, older, _ = [v.pk for v in history.context["versions"]]
    url = reverse("admin:timeline_era_compare", args=[era.pk])
    page = admin_client_logged.get(url, {"older": older, "newer": newer}).content.decode()
    assert '<span class="diff-removed">-title: First title</span>' in page
    assert '<span class="diff-added">+title: Second title</span>' in page
    assert '<span class="diff-added">+summary: New.</span>' in page
    other = make_era()
    foreign = admin_client_logged.get(
        reverse("admin:timeline_era_compare", args=[other.pk]), {"older": older, "newer": newer}
    )
    assert foreign.status_code == 302  # versions of another era are not this era's


def test_reverting_restores_the_era_and_its_slides(admin_client_logged, era):
    save(admin_client_logged, era, **{"slides-0-title": "Kept title"})
    first = Version.objects.get_for_object(era).first()
    save(admin_client_logged, era, **{"slides-0-title": "Regretted title", "summary": "Oops."})
    url = reverse("admin:timeline_era_revision", args=[era.pk, first.pk])
    response = post_form(admin_client_logged, url, "era_form")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Slide.objects.get(era=era).title == "Kept title"
    assert Era.objects.get(pk=era.pk).summary != "Oops."


def revert(client, era, version):
    """Open a revision's page and save its form, as an editor reverting does."""
    url = reverse("admin:timeline_era_revision", args=[era.pk, version.pk])
    page = client.get(url)
    assert page.status_code == 200, page.get("Location")
    response = post_form(client, url, "era_form")
    assert response.status_code == 302, response.content.decode()[:2000]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert not [m for m in messages if "Could not" in m], messages


def relations():
    return sorted(EraRelation.objects.values_list("era__slug", "kind", "other__slug"))


def test_reverting_an_era_restores_its_relations_both_ways(admin_client_logged, era):
    """The revision holds the era's relations, those it states and those that name it:
    reverting removes ones added since (from either side), puts back ones removed, and
    restores a changed kind."""
    cgi, flask, django_era = (make_era(slug=s, title=s.upper()) for s in ("cgi", "flask", "dj"))
    EraRelation.objects.create(era=era, other=cgi, kind="replaced")
    EraRelation.objects.create(era=flask, other=era, kind="built-on")
    save(admin_client_logged, era)
    kept = Version.objects.get_for_object(era).first()
    assert (
        sorted(v.content_type.model for v in kept.revision.version_set.all()).count("erarelation")
        == 2
    )
    before = relations()
    # Since then: the kind changed, the relation named by Flask removed, Django's added.
    save(
        admin_client_logged,
        era,
        delete=["inverse_relations-0"],
        **{"relations-0-kind": "influenced-by"},
    )
    EraRelation.objects.create(era=django_era, other=era, kind="influenced-by")
    EraRelation.objects.create(era=era, other=flask, kind="same-idea")
    assert relations() != before
    # The comparison names the eras at either end, not their ids.
    newer = Version.objects.get_for_object(era).order_by("-pk").first()
    compare = reverse("admin:timeline_era_compare", args=[era.pk])
    diff = admin_client_logged.get(compare, {"older": kept.pk, "newer": newer.pk})
    page = diff.content.decode()
    assert "-kind: replaced" in page and "+kind: influenced-by" in page
    assert "other: CGI" in page and "-era: FLASK" in page
    revert(admin_client_logged, era, kept)
    assert relations() == before


def test_reverting_a_swap_of_slides_and_references_puts_them_back(admin_client_logged, era):
    """A revert renumbers rows one by one; the unique order per era must not stop it."""
    make_slide(era, title="Second slide")
    make_reference(era, title="Second source")
    save(admin_client_logged, era)
    kept = Version.objects.get_for_object(era).first()
    swap = {
        "slides-0-order": "2",
        "slides-1-order": "1",
        "references-0-order": "2",
        "references-1-order": "1",
    }
    save(admin_client_logged, era, **swap)
    swapped = list(era.slides.values_list("pk", "order")) + list(
        era.references.values_list("pk", "order")
    )
    assert era.slides.order_by("order").first().title == "Second slide"
    # Looking at the revision changes nothing.
    admin_client_logged.get(reverse("admin:timeline_era_revision", args=[era.pk, kept.pk]))
    assert (
        list(era.slides.values_list("pk", "order"))
        + list(era.references.values_list("pk", "order"))
        == swapped
    )
    revert(admin_client_logged, era, kept)
    assert list(era.slides.order_by("order").values_list("title", flat=True)) == [
        "Why a standard",
        "Second slide",
    ]
    assert era.references.order_by("order").last().title == "Second source"


def test_reverting_when_a_related_era_is_gone_keeps_the_rest(admin_client_logged, era):
    """A relation to an era deleted since cannot come back; the revert restores the rest
    instead of failing at commit."""
    gone = make_era(slug="gone", title="Gone")
    EraRelation.objects.create(era=era, other=gone, kind="replaced")
    save(admin_client_logged, era, **{"summary": "Kept summary."})
    kept = Version.objects.get_for_object(era).first()
    save(admin_client_logged, era, **{"summary": "Later summary."})
    gone.delete()
    revert(admin_client_logged, era, kept)
    assert Era.objects.get(pk=era.pk).summary == "Kept summary."
    assert not EraRelation.objects.exists()


def test_a_row_deleted_in_a_save_is_not_in_its_revision(admin_client_logged, era):
    """Reversion follows the era's rows when the era is saved, before the inlines delete
    any: the deleted slide must not stay in that revision, or reverting to it would bring
    the slide back."""
    make_slide(era, title="Doomed")
    save(admin_client_logged, era, delete=["slides-1"])
    revision = Version.objects.get_for_object(era).first().revision
    titles = [v.object_repr for v in revision.version_set.filter(content_type__model="slide")]
    assert titles == ["WSGI #1: Why a standard"]
    save(admin_client_logged, era, **{"summary": "Later."})
    revert(admin_client_logged, era, Version.objects.get_for_object(era).first())
    assert list(era.slides.values_list("title", flat=True)) == ["Why a standard"]


def test_a_moved_reference_compares_as_its_order_changing(admin_client_logged, era):
    """Rows keep their place in a comparison, so a swap reads as the order lines changing."""
    make_reference(era, title="Second source")
    save(admin_client_logged, era)
    save(admin_client_logged, era, **{"references-0-order": "2", "references-1-order": "1"})
    newer, older = Version.objects.get_for_object(era)[:2]
    compare = reverse("admin:timeline_era_compare", args=[era.pk])
    page = admin_client_logged.get(compare, {"older": older.pk, "newer": newer.pk})
    html = page.content.decode()
    assert html.count('<span class="diff-removed">-order: ') == 2
    assert html.count('<span class="diff-added">+order: ') == 2
    assert 'diff-removed">-title' not in html and 'diff-added">+title' not in html
