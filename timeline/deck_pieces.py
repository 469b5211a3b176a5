"""A deck sent in pieces, so that its first view does not grow with the content.

The first view of a deck holds its first CHUNK_SIZE slides, whole, and an outline of every
slide (number, title, era, kind): enough for the counter, the overview and jumping to a number.
The browser fetches the other slides CHUNK_SIZE at a time (`slides/<chunk>/` under the deck's
address), each chunk a cached page like the deck. The outline is read with two light queries
(eras, then slide titles); a chunk loads the content of its own slides only, in four more.
"""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Era, Slide, Talk
from .presenter import FULL_TITLE, DeckSlide, deck_eras, talk_notes

CHUNK_SIZE = 8

OUTLINE_ERA_FIELDS = ("pk", "slug", "title", "kind", "year", "published")


@dataclass
class Entry:
    """One slide of the outline: its era's position in `Outline.eras`, and the slide's pk and
    title (None for the era's title slide)."""

    era: int
    slide_pk: int | None = None
    title: str | None = None


@dataclass
class Outline:
    title: str
    eras: list  # light Era objects, in deck order
    entries: list
    talk: Talk | None = None
    private: bool = False  # an unpublished era's deck: never in a shared cache

    @property
    def count(self):
        return len(self.entries)

    @property
    def chunks(self):
        return (self.count + CHUNK_SIZE - 1) // CHUNK_SIZE

    def index(self):
        """The outline as the browser reads it (deck-slides.js): eras as [title, kind], slides
        as [era] (its title slide) or [era, title]."""
        return {
            "chunk": CHUNK_SIZE,
            "eras": [[era.title, era.kind] for era in self.eras],
            "slides": [[e.era] if e.slide_pk is None else [e.era, e.title] for e in self.entries],
        }

    def slides(self, first, last):
        """Slides `first` to `last` (1-based, inclusive) with their content, as the deck
        templates render them: four queries whatever the size of the deck."""
        entries = self.entries[first - 1 : last]
        era_pks = {self.eras[e.era].pk for e in entries}
        slide_pks = {e.slide_pk for e in entries if e.slide_pk is not None}
        eras = {era.pk: era for era in deck_eras(Era.objects.filter(pk__in=era_pks), slide_pks)}
        slides = {slide.pk: slide for era in eras.values() for slide in era.slides.all()}
        notes = talk_notes(self.talk, slide_pks) if self.talk else {}
        items = []
        for number, entry in enumerate(entries, start=first):
            era = eras[self.eras[entry.era].pk]
            slide = slides.get(entry.slide_pk)
            items.append(
                DeckSlide(
                    number=number,
                    era=era,
                    slide=slide,
                    samples=slide.samples.all() if slide else [],
                    talk_notes_html=notes.get(entry.slide_pk),
                )
            )
        return items

    def first_view(self):
        """What a deck page's template needs: the outline, its first chunk and its index."""
        return {"deck": self, "slides": self.chunk(1) if self.count else [], "index": self.index()}

    def chunk(self, number):
        """The slides of chunk `number` (1-based); 404 past the end."""
        if not 1 <= number <= self.chunks:
            raise Http404("No such part of the deck.")
        first = (number - 1) * CHUNK_SIZE + 1
        return self.slides(first, min(first + CHUNK_SIZE - 1, self.count))


def _outline(title, eras, talk=None, private=False):
    """Number every slide of `eras` (light, in deck order) from one query of slide titles."""
    eras = list(eras)
    by_era = {era.pk: [] for era in eras}
    titles = (
        Slide.objects.filter(era__in=list(by_era))
        .order_by("era_id", "order")
        .values_list("era_id", "pk", "title")
    )
    for era_pk, pk, slide_title in titles:
        by_era[era_pk].append((pk, slide_title))
    entries = []
    for position, era in enumerate(eras):
        entries.append(Entry(era=position))
        entries.extend(Entry(position, pk, slide_title) for pk, slide_title in by_era[era.pk])
    return Outline(title=title, eras=eras, entries=entries, talk=talk, private=private)


def load_outline(kind, slug, eras):
    """The outline of the deck of that kind from `eras` (the eras its viewer may see)."""
    light = eras.only(*OUTLINE_ERA_FIELDS)
    if kind == "full":
        return _outline(FULL_TITLE, light.chronological())
    if kind == "era":
        era = get_object_or_404(light, slug=slug)
        return _outline(f"{era.title} ({era.year})", [era], private=not era.published)
    talk = get_object_or_404(Talk, slug=slug)
    in_talk = light.filter(talk_items__talk=talk).order_by("talk_items__order")
    return _outline(talk.title, in_talk, talk=talk)
