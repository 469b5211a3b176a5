"""timeline/admin/views/revert.py on its own, without the admin's pages: rows parked and put
back around reversion's view, dangling rows repaired, talk notes kept (the pages' tests are
tests/test_admin_revisions.py and tests/test_admin_era_revisions.py)."""

from types import SimpleNamespace

import pytest
import reversion
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from reversion.models import Version

from timeline.admin.views import revert
from timeline.models import CodeSample, Era, EraRelation, Slide, TalkNote

from .factories import make_era, make_sample, make_slide, make_talk

pytestmark = pytest.mark.django_db


class Admin:
    """What revert() asks of a ModelAdmin."""

    model = Era

    def __init__(self, may_change=True, keep=()):
        self.may_change, self.keep, self.asked = may_change, list(keep), []

    def has_change_permission(self, request):
        return self.may_change

    def rows_to_keep(self, object_id, revision):
        self.asked.append((object_id, revision))
        return self.keep


def saved_revision(*rows):
    with reversion.create_revision():
        for row in rows:
            reversion.add_to_revision(row)
    return Version.objects.get_for_object(rows[0]).first()


def orders(era):
    return list(era.slides.order_by("pk").values_list("order", flat=True))


@pytest.fixture
def era():
    era = make_era(slug="wsgi")
    for order in (1, 2, 3):
        make_slide(era, order=order, title=f"Slide {order}")
    return era


def test_a_revert_that_happened_keeps_its_orders(era):
    version = saved_revision(era, *era.slides.all())
    request = SimpleNamespace()
    seen = []

    def view():
        # Reversion restores each row of the revision, order included, one at a time.
        seen.append(orders(era))
        for slide in era.slides.all():
            Slide.objects.filter(pk=slide.pk).update(order=int(slide.title[-1:]))
        return "reverted"

    assert revert.revert(Admin(), request, era.pk, version.pk, view) == "reverted"
    # While the view ran, every slide was parked off the orders the revision holds.
    assert not set(seen[0]) & {1, 2, 3} and len(set(seen[0])) == 3
    assert orders(era) == [1, 2, 3]
    assert request.reverting_revision == version.revision


def test_rows_still_parked_mean_no_revert_and_the_parking_is_undone(era):
    version = saved_revision(era, *era.slides.all())
    request = SimpleNamespace()
    assert revert.revert(Admin(), request, era.pk, version.pk, lambda: "form") == "form"
    assert orders(era) == [1, 2, 3]


def test_one_row_left_parked_undoes_the_whole_revert(era):
    version = saved_revision(era, *era.slides.all())
    era.summary = "Changed."
    era.save()

    def view():
        Era.objects.filter(pk=era.pk).update(summary="Reverted.")
        for slide in era.slides.order_by("pk")[:2]:  # the third stays parked
            Slide.objects.filter(pk=slide.pk).update(order=int(slide.title[-1:]))
        return "form"

    revert.revert(Admin(), SimpleNamespace(), era.pk, version.pk, view)
    assert orders(era) == [1, 2, 3]
    assert Era.objects.get(pk=era.pk).summary == "Changed."


def test_only_the_rows_of_the_reverted_object_are_parked(era):
    other = make_era(slug="other")
    make_slide(other, order=1)
    version = saved_revision(era, *era.slides.all())
    parked_elsewhere = []

    def view():
        parked_elsewhere.append(list(other.slides.values_list("order", flat=True)))
        return "form"

    revert.revert(Admin(), SimpleNamespace(), era.pk, version.pk, view)
    assert parked_elsewhere == [[1]]


def test_parking_avoids_the_orders_the_revision_holds(era):
    """The old revision's slides held 4, 5 and 6, the first free orders now: a row parked
    there would block their return. A later revision holds other orders."""
    for slide in era.slides.order_by("-order"):
        Slide.objects.filter(pk=slide.pk).update(order=slide.order + 3)
    old = saved_revision(era, *era.slides.all())
    for slide in era.slides.order_by("order"):
        Slide.objects.filter(pk=slide.pk).update(order=slide.order - 3)
    saved_revision(era, *era.slides.all())
    seen = []
    revert.revert(Admin(), SimpleNamespace(), era.pk, old.pk, lambda: seen.append(orders(era)))
    assert not set(seen[0]) & {1, 2, 3, 4, 5, 6}


def test_rows_of_a_kind_the_revision_does_not_hold_are_parked_too(era):
    """The revision predates every sample: reversion deletes the sample, so it is parked
    anywhere free, and the revert is kept."""
    version = saved_revision(era, *era.slides.all())
    make_sample(era, order=1)

    def view():
        CodeSample.objects.filter(era=era).delete()
        for slide in era.slides.all():
            Slide.objects.filter(pk=slide.pk).update(order=int(slide.title[-1:]))
        return "form"

    assert revert.revert(Admin(), SimpleNamespace(), era.pk, version.pk, view) == "form"
    assert not CodeSample.objects.exists()


def test_the_revision_of_another_object_or_none_is_reversions_to_refuse(era):
    other = make_era(slug="other")
    version = saved_revision(other)
    calls = []
    for version_id in (version.pk, 999999):
        answer = revert.revert(
            Admin(), SimpleNamespace(), era.pk, version_id, lambda: calls.append(orders(era))
        )
        assert answer is None
    assert calls == [[1, 2, 3], [1, 2, 3]]


def test_reverting_takes_change_permission(era):
    version = saved_revision(era)
    with pytest.raises(PermissionDenied):
        revert.revert(Admin(may_change=False), SimpleNamespace(), era.pk, version.pk, list)


def test_the_notes_to_keep_are_asked_of_the_admin_for_this_revision(era):
    version = saved_revision(era, *era.slides.all())
    admin, request = Admin(keep=["a note"]), SimpleNamespace()
    revert.revert(admin, request, era.pk, version.pk, lambda: None)
    assert admin.asked == [(era.pk, version.revision)]
    assert request.notes_to_keep == ["a note"]


def test_an_unreadable_version_is_left_to_reversion(era):
    version = saved_revision(era, *era.slides.all())
    # The first slide version read is unreadable; the other slides' orders are still read.
    first = next(v for v in version.revision.version_set.all() if v.content_type.model == "slide")
    order = first.field_dict["order"]
    Version.objects.filter(pk=first.pk).update(serialized_data="{")
    assert revert._orders_in(version.revision, {Slide}) == {Slide: {1, 2, 3} - {order}}
    readable = saved_revision(era, *era.slides.all())
    assert revert._orders_in(readable.revision, {Slide}) == {Slide: {1, 2, 3}}
    assert revert._orders_in(readable.revision, {CodeSample}) == {}


def test_still_parked_looks_at_each_row_on_its_own_place(era):
    one, two, _ = era.slides.order_by("pk")
    assert revert._still_parked({Slide: {}, CodeSample: {}}) is False
    assert revert._still_parked({CodeSample: {}, Slide: {one.pk: 1}}) is True
    assert revert._still_parked({Slide: {one.pk: 2}}) is False
    assert revert._still_parked({Slide: {one.pk: 2, two.pk: 2}}) is True
    assert revert._still_parked({Slide: {one.pk: 1, two.pk: 5}}) is True


# -- rows restored that point at rows deleted since ----------------------------------------------


def dangle(model, pk, field):
    """Point the row's foreign key at a row that is not there: Django's foreign keys are
    checked at the commit (deferred), and the test's own check comes after the repair."""
    model.objects.filter(pk=pk).update(**{field: 999999})


def test_dangling_rows_are_deleted_or_cleared_as_on_delete_says(era):
    other, elsewhere = make_era(slug="other"), make_era(slug="elsewhere")
    gone = EraRelation.objects.create(era=era, other=other, kind="replaced")
    kept = EraRelation.objects.create(era=era, other=elsewhere, kind="replaced")
    slide = era.slides.first()
    cleared = make_sample(era, slide=slide, order=1)
    still = make_sample(era, slide=slide, order=2)
    outside = make_sample(other, slide=slide, order=1)
    version = saved_revision(gone, kept, cleared, still)
    dangle(EraRelation, gone.pk, "other_id")
    dangle(CodeSample, cleared.pk, "slide_id")
    dangle(CodeSample, outside.pk, "slide_id")
    revert.repair_dangling(version.revision)
    assert list(EraRelation.objects.values_list("pk", flat=True)) == [kept.pk]
    assert CodeSample.objects.get(pk=cleared.pk).slide_id is None
    assert CodeSample.objects.get(pk=still.pk).slide_id == slide.pk
    # A row the revision does not hold is not the revert's to repair.
    assert CodeSample.objects.get(pk=outside.pk).slide_id == 999999
    CodeSample.objects.filter(pk=outside.pk).update(slide=None)  # the test's end checks keys


def test_a_version_of_a_model_that_is_gone_is_skipped(era):
    version = saved_revision(era)
    stale = ContentType.objects.create(app_label="gone", model="gone")
    Version.objects.create(
        revision=version.revision,
        object_id="1",
        content_type=stale,
        db="default",
        format="json",
        serialized_data="[]",
        object_repr="gone",
    )
    revert.repair_dangling(version.revision)
    assert Era.objects.filter(pk=era.pk).exists()


# -- talk notes the revert deleted ---------------------------------------------------------------


def test_notes_come_back_where_their_talk_and_slide_are_and_the_place_is_free(era):
    one, two, three = era.slides.order_by("pk")
    talk, gone_talk = make_talk([era]), make_talk([era], slug="gone")
    gone_slide = make_slide(era, order=4)
    notes = [
        TalkNote(talk=talk, slide=one, notes="Back.\n"),
        TalkNote(talk=talk, slide=two, notes="Place taken.\n"),
        TalkNote(talk=gone_talk, slide=three, notes="Talk gone.\n"),
        TalkNote(talk=talk, slide=gone_slide, notes="Slide gone.\n"),
    ]
    TalkNote.objects.create(talk=talk, slide=two, notes="Written since.\n")
    gone_talk.delete()
    gone_slide.delete()
    revert.keep_notes(notes)
    assert sorted(TalkNote.objects.values_list("slide__title", "notes")) == [
        (one.title, "Back.\n"),
        (two.title, "Written since.\n"),
    ]


def test_a_place_taken_on_another_talk_does_not_block_a_note(era):
    one = era.slides.first()
    talk, other = make_talk([era]), make_talk([era], slug="other")
    TalkNote.objects.create(talk=other, slide=one, notes="Other talk.\n")
    revert.keep_notes([TalkNote(talk=talk, slide=one, notes="Back.\n")])
    assert TalkNote.objects.filter(talk=talk, slide=one).exists()


def test_no_notes_to_keep_is_nothing_to_do():
    revert.keep_notes([])
    revert.keep_notes(())
    assert not TalkNote.objects.exists()


def test_repairing_costs_the_same_queries_for_any_number_of_rows(era):
    """A query per model and foreign key, none per restored row."""
    small = saved_revision(era, *era.slides.all())
    for order in range(4, 10):
        make_slide(era, order=order)
    large = saved_revision(era, *era.slides.all())
    queries = []
    for version in (small, large):
        with CaptureQueriesContext(connection) as counted:
            revert.repair_dangling(version.revision)
            revert._orders_in(version.revision, {Slide})
        queries.append(len(counted.captured_queries))
    assert queries[0] == queries[1]
