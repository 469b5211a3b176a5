import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from timeline.models import CodeSample, Era

from .factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db


def test_era_str_and_url():
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    assert str(era) == "WSGI (2003)"
    assert era.get_absolute_url() == "/eras/wsgi/"


@pytest.mark.parametrize("year", [1979, timezone.now().year + 1])
def test_era_year_out_of_range_is_rejected(year):
    era = Era(slug="x", title="X", year=year, summary="s")
    with pytest.raises(ValidationError) as info:
        era.full_clean()
    assert "year" in info.value.message_dict


def test_era_year_bounds_accepted():
    for year in (1980, timezone.now().year):
        Era(slug=f"y{year}", title="Y", year=year, summary="s").full_clean()


def test_slug_is_unique():
    make_era(slug="cgi")
    with pytest.raises(IntegrityError):
        make_era(slug="cgi")


def test_slide_order_unique_within_era_but_not_across():
    a, b = make_era(), make_era()
    make_slide(a, order=1)
    make_slide(b, order=1)
    with pytest.raises(IntegrityError):
        make_slide(a, order=1)


def test_sample_language_must_be_a_pygments_alias():
    era = make_era()
    sample = CodeSample(era=era, order=1, title="t", language="klingon", code="x")
    with pytest.raises(ValidationError) as info:
        sample.full_clean()
    assert "language" in info.value.message_dict
    sample.language = "python2"
    sample.full_clean()


def test_historical_sample_cannot_have_a_runtime():
    era = make_era()
    sample = CodeSample(
        era=era,
        order=1,
        title="t",
        code="print 'x'",
        historical=True,
        runtime="python",
        language="python2",
    )
    with pytest.raises(ValidationError):
        sample.full_clean()
    assert not sample.runnable


def test_sample_slide_must_belong_to_same_era():
    a, b = make_era(), make_era()
    slide = make_slide(b)
    sample = CodeSample(era=a, slide=slide, order=1, title="t", code="x")
    with pytest.raises(ValidationError) as info:
        sample.full_clean()
    assert "slide" in info.value.message_dict


def test_save_renders_html():
    era = make_era(body="# Title\n\nSome *text*.")
    assert "<em>text</em>" in era.body_html
    slide = make_slide(era, body="**bold**", notes="- a note")
    assert "<strong>bold</strong>" in slide.body_html
    assert "<li>a note</li>" in slide.notes_html
    sample = make_sample(era, code="def f():\n    return 1\n")
    assert 'class="highlight"' in sample.highlighted_html
    assert '<span class="k">def</span>' in sample.highlighted_html


def test_sample_code_is_a_region_named_by_the_sample_title():
    era = make_era()
    sample = make_sample(era, title="Hello, WSGI", code="x = 1\n")
    assert 'aria-label="Code: Hello, WSGI"' in sample.highlighted_html
    assert 'role="region"' in sample.highlighted_html


def test_published_queryset_and_visibility(django_user_model):
    shown = make_era(published=True)
    hidden = make_era(published=False)
    assert list(Era.objects.published()) == [shown]
    staff = django_user_model(username="s", is_staff=True)
    assert set(Era.objects.visible_to(staff)) == {shown, hidden}


def test_chronological_order_puts_undated_after_dated_in_same_year():
    import datetime

    late = make_era(year=2005, title="A undated")
    early = make_era(year=2005, title="Z dated", date=datetime.date(2005, 7, 1))
    older = make_era(year=1999)
    assert list(Era.objects.chronological()) == [older, early, late]
    assert sorted([late, early, older], key=Era.sort_key) == [older, early, late]


def test_natural_keys():
    era = make_era(slug="flask")
    slide = make_slide(era, order=2)
    sample = make_sample(era, order=3)
    assert era.natural_key() == ("flask",)
    assert slide.natural_key() == ("flask", 2)
    assert sample.natural_key() == ("flask", 3)


def test_content_models_are_what_editors_write():
    """CONTENT_MODELS is derived (the models built on ContentModel): pin its members, so a model
    that leaves it (its edits would stay hidden behind cached pages) or joins it shows here. Each
    comes after the content models it points to."""
    from django.apps import apps

    from timeline.models import CONTENT_MODELS, EraDraft, HealthFinding, HealthRun, LiveSession

    assert {model.__name__ for model in CONTENT_MODELS} == {
        "Era",
        "EraRelation",
        "Slide",
        "CodeSample",
        "Reference",
        "Talk",
        "TalkEra",
        "TalkNote",
        "Exercise",
        "ExerciseCheck",
        "ExerciseWrongAnswer",
    }
    assert len(CONTENT_MODELS) == 11
    app_models = set(apps.get_app_config("timeline").get_models())
    # State the site keeps, never content a page shows: sessions, drafts, the health report.
    assert app_models - set(CONTENT_MODELS) == {LiveSession, EraDraft, HealthRun, HealthFinding}
    for position, model in enumerate(CONTENT_MODELS):
        for field in model._meta.concrete_fields:
            target = field.related_model
            if target in CONTENT_MODELS and target is not model:
                assert CONTENT_MODELS.index(target) < position, (model, field.name)
