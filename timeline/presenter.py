"""Builds a deck: the flat, numbered list of slides a speaker presents.

A deck is the full history, one era, or a named talk (`load_deck`), or a single slide as the
admin previews it and the fit audit measures it (`single_slide_deck`). Each era opens with a
title slide (year, title, summary) followed by its own slides, each carrying the samples
attached to it. The queries are fixed in number whatever the size of the deck: one for the
eras, one for all their slides, one for all their samples.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse

from .build_steps import slide_builds
from .models import CodeSample, Era, Reference, Slide, Talk, TalkNote

HANDOUT_SLIDES_PER_PAGE = 3
FULL_TITLE = "A short history of Python web frameworks"

# The URL name of each kind of deck: a live session names its deck by kind and slug.
DECK_URL_NAMES = {
    "full": "timeline:present",
    "era": "timeline:present-era",
    "talk": "timeline:talk-present",
}


@dataclass
class DeckSlide:
    number: int  # 1-based position in the deck, as in the URL #/N
    era: Era
    slide: Slide | None = None  # None for the era's title slide
    samples: list = field(default_factory=list)
    talk_notes_html: str | None = None  # the talk's own notes for this slide, if it has some
    start_seconds: int = 0  # when the plan reaches this slide (talks with a length)

    @property
    def is_title(self):
        return self.slide is None

    @property
    def title(self):
        return self.era.title if self.is_title else self.slide.title

    @property
    def notes_html(self):
        if self.talk_notes_html is not None:
            return self.talk_notes_html
        return "" if self.is_title else self.slide.notes_html

    @cached_property
    def builds(self):
        """Its build steps are 0..builds (build_steps.py: counted once, here, for every view)."""
        return slide_builds(self.slide, self.samples)

    @property
    def weight(self):
        """How long the slide takes, in plain slides: each build adds half a slide, each
        runnable sample a whole one (the run, and reading its result aloud)."""
        if self.is_title:
            return 1.0
        runs = sum(1 for sample in self.samples if sample.runnable)
        return 1.0 + 0.5 * self.builds + runs


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

    @property
    def handout_pages(self):
        """The slides in threes: a handout page holds three, each beside its notes."""
        size = HANDOUT_SLIDES_PER_PAGE
        return [self.slides[i : i + size] for i in range(0, len(self.slides), size)]

    @property
    def plan(self):
        """When the plan reaches each slide, in seconds from the start (speaker view's pace)."""
        return [slide.start_seconds for slide in self.slides]


def talk_notes(talk, slide_pks=None):
    """A talk's own notes by slide pk (of those slides only, if given), in one query."""
    notes = TalkNote.objects.filter(talk=talk)
    if slide_pks is not None:
        notes = notes.filter(slide__in=slide_pks)
    return dict(notes.values_list("slide_id", "notes_html"))


def deck_eras(queryset, slide_pks=None):
    """Eras with their slides (those of `slide_pks` only, if given), the samples shown on them
    and the evidence for their date notes (shown on title slides), in four queries."""
    samples = CodeSample.objects.filter(slide__isnull=False).order_by("order")
    slides = Slide.objects.order_by("order").prefetch_related(Prefetch("samples", queryset=samples))
    if slide_pks is not None:
        slides = slides.filter(pk__in=slide_pks)
    evidence = Reference.objects.filter(supports_date=True).order_by("order")
    return queryset.prefetch_related(
        Prefetch("slides", queryset=slides), Prefetch("references", queryset=evidence)
    )


def build_deck(title, eras, duration_minutes=None, talk_notes=None):
    """Number the slides of `eras` (already ordered and prefetched by deck_eras).

    `talk_notes` maps a slide's pk to a talk's own notes (HTML) that replace the slide's.
    """
    talk_notes = talk_notes or {}
    slides, sections = [], []
    for era in eras:
        first = len(slides) + 1
        slides.append(DeckSlide(number=first, era=era))
        for slide in era.slides.all():
            slides.append(
                DeckSlide(
                    number=len(slides) + 1,
                    era=era,
                    slide=slide,
                    samples=slide.samples.all(),
                    talk_notes_html=talk_notes.get(slide.pk),
                )
            )
        sections.append(DeckSection(era=era, first=first, last=len(slides)))
    if duration_minutes and slides:
        split_time(sections, slides, duration_minutes * 60)
    return Deck(title=title, slides=slides, sections=sections, duration_minutes=duration_minutes)


def split_time(sections, slides, total_seconds):
    """Share the time across slides by weight (steps and runs take longer), and eras by the sum
    of theirs; rounding never loses or adds a second."""
    total = sum(slide.weight for slide in slides)
    done = 0.0
    for slide in slides:
        slide.start_seconds = round(total_seconds * done / total)
        done += slide.weight
    for section in sections:
        section.start_seconds = slides[section.first - 1].start_seconds
        end = slides[section.last].start_seconds if section.last < len(slides) else total_seconds
        section.budget_seconds = end - section.start_seconds


def single_slide_deck(slide, samples):
    """A deck of one slide (its era's title slide left out), numbered 1: the admin's preview
    and the fit audit show a slide alone, saved or not."""
    item = DeckSlide(number=1, era=slide.era, slide=slide, samples=samples)
    return Deck(title=slide.title, slides=[item], sections=[])


def full_deck(eras):
    return build_deck(FULL_TITLE, deck_eras(eras.chronological()))


def era_deck(eras, slug):
    era = get_object_or_404(deck_eras(eras), slug=slug)
    return build_deck(f"{era.title} ({era.year})", [era]), era


def talk_deck(eras, slug):
    talk = get_object_or_404(Talk, slug=slug)
    eras = deck_eras(eras.filter(talk_items__talk=talk).order_by("talk_items__order"))
    deck = build_deck(
        talk.title, eras, duration_minutes=talk.duration_minutes, talk_notes=talk_notes(talk)
    )
    return deck, talk


def load_deck(kind, slug, eras):
    """The deck of that kind from `eras` (the eras its viewer may see), and its talk if any."""
    if kind == "full":
        return full_deck(eras), None
    if kind == "era":
        return era_deck(eras, slug)[0], None
    return talk_deck(eras, slug)


def deck_urls(kind, slug):
    """The addresses of a deck's three modes, and where the parts of the first two are (the
    address of part N is that prefix, then `N/`)."""
    url_name = DECK_URL_NAMES[kind]
    kwargs = {"slug": slug} if kind != "full" else {}
    return {
        "audience": reverse(url_name, kwargs=kwargs),
        "speaker": reverse(f"{url_name}-speaker", kwargs=kwargs),
        "print": reverse(f"{url_name}-print", kwargs=kwargs),
        "slides": chunk_prefix(f"{url_name}-slides", **kwargs),
        "speaker_slides": chunk_prefix(f"{url_name}-speaker-slides", **kwargs),
    }


def chunk_prefix(url_name, **kwargs):
    """The address of part N of a deck, without its `N/`."""
    return reverse(url_name, kwargs={**kwargs, "chunk": 1}).removesuffix("1/")
