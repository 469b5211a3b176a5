"""Builds a deck: the flat, numbered list of slides a speaker presents.

Each era opens with a title slide (year, title, summary) followed by its own slides, each
carrying the samples attached to it. The queries are fixed in number whatever the size of
the deck: one for the eras, one for all their slides, one for all their samples.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from .models import CodeSample, Era, Reference, Slide


@dataclass
class DeckSlide:
    number: int  # 1-based position in the deck, as in the URL #/N
    era: Era
    slide: Slide | None = None  # None for the era's title slide
    samples: list = field(default_factory=list)

    @property
    def is_title(self):
        return self.slide is None

    @property
    def title(self):
        return self.era.title if self.is_title else self.slide.title

    @property
    def notes_html(self):
        return "" if self.is_title else self.slide.notes_html


@dataclass
class DeckSection:
    """One era's run of slides and its share of the talk's time."""

    era: Era
    first: int
    last: int
    start_seconds: int = 0
    budget_seconds: int = 0

    @property
    def count(self):
        return self.last - self.first + 1

    @property
    def end_seconds(self):
        return self.start_seconds + self.budget_seconds


@dataclass
class Deck:
    title: str
    slides: list
    sections: list
    duration_minutes: int | None = None

    @property
    def count(self):
        return len(self.slides)


def deck_eras(queryset):
    """Eras with their slides, the samples shown on them and the evidence for their date notes
    (shown on title slides), in four queries."""
    samples = CodeSample.objects.filter(slide__isnull=False).order_by("order")
    slides = Slide.objects.order_by("order").prefetch_related(Prefetch("samples", queryset=samples))
    evidence = Reference.objects.filter(supports_date=True)
    return queryset.prefetch_related(
        Prefetch("slides", queryset=slides), Prefetch("references", queryset=evidence)
    )


def build_deck(title, eras, duration_minutes=None):
    """Number the slides of `eras` (already ordered and prefetched by deck_eras)."""
    slides, sections = [], []
    for era in eras:
        first = len(slides) + 1
        slides.append(DeckSlide(number=first, era=era))
        for slide in era.slides.all():
            slides.append(
                DeckSlide(number=len(slides) + 1, era=era, slide=slide, samples=slide.samples.all())
            )
        sections.append(DeckSection(era=era, first=first, last=len(slides)))
    if duration_minutes and slides:
        split_time(sections, duration_minutes * 60, len(slides))
    return Deck(title=title, slides=slides, sections=sections, duration_minutes=duration_minutes)


def split_time(sections, total_seconds, slide_count):
    """Share the time across eras by slide count; rounding never loses or adds a second."""
    done = 0
    for section in sections:
        section.start_seconds = round(total_seconds * done / slide_count)
        done += section.count
        section.budget_seconds = round(total_seconds * done / slide_count) - section.start_seconds
