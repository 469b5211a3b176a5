"""What the search reads: a list of sources, each a kind of result (eras, slides, samples'
code, exercises, the site's own pages). A new kind is one more Source in SOURCES.

The model sources are read together in one UNION query, each projected to the same columns."""

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import CharField, F, IntegerField, TextField, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.html import strip_tags

from ..models import CodeSample, Era, Exercise, Slide

NAMES = ("kind", "pk", "era", "key", "title", "head", "text", "year", "era_kind", "published")
COLUMNS = tuple(f"s_{name}" for name in NAMES)


@dataclass(frozen=True)
class Source:
    kind: str  # the result kind, as the results page groups it
    label: str  # the group's heading
    weight: float  # how much a match here counts against the same match in an era
    rows: object = None  # () -> a queryset annotated with COLUMNS, or None for static pages
    url: object = None  # (row, era) -> the result's address
    pages: object = None  # () -> rows, for sources that are not in the database


def _project(queryset, kind, key, head, text, era="era_id"):
    # Only era rows carry the era's own fields; the others point at their era's row.
    mine = {"s_year": F("year"), "s_era_kind": F("kind"), "s_published": F("published")}
    if era != "pk":
        mine = {name: Value(None, output_field=CharField()) for name in mine}
    return (
        queryset.order_by()
        .annotate(
            **mine,
            s_kind=Value(kind, output_field=CharField()),
            s_pk=F("pk"),
            s_era=F(era) if era else Value(None, output_field=IntegerField()),
            s_key=Cast(key, CharField()),
            s_title=F("title"),
            s_head=Cast(head, TextField()) if head else Value("", output_field=TextField()),
            s_text=Cast(text, TextField()),
        )
        .values_list(*COLUMNS)
    )


def _era_url(row, era):
    return reverse("timeline:era", args=[era["key"]])


def _slide_url(row, era):
    return f"{_era_url(row, era)}#slide-{row['key']}"


def _sample_url(row, era):
    return f"{_era_url(row, era)}#sample-{row['key']}"


def _exercise_url(row, era):
    return reverse("timeline:exercise", args=[row["key"]])


# The site's pages that are not content: their text is the intro their template shows.
SITE_PAGES = [
    ("timeline:timeline", "The timeline", "timeline/timeline.html"),
    ("timeline:evolution", "One app in every era", "timeline/evolution.html"),
    ("timeline:exercises", "Exercises", "timeline/exercise_list.html"),
]
INTRO = re.compile(
    r'<header class="page-intro">.*?</header>|<section class="prose[^"]*".*?</section>', re.DOTALL
)
TEMPLATE_TAGS = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)


def _site_pages():
    rows = []
    for name, title, template in SITE_PAGES:
        source = _template_source(template)
        text = " ".join(strip_tags(TEMPLATE_TAGS.sub(" ", part)) for part in INTRO.findall(source))
        rows.append(
            {"pk": name, "era": None, "key": name, "title": title, "head": "", "text": text}
        )
    return rows


def _template_source(name):
    for directory in settings.TEMPLATES[0]["DIRS"]:
        path = Path(directory) / name
        if path.exists():
            return path.read_text(encoding="utf-8")
    return ""


SOURCES = [
    Source(
        "era",
        "Eras",
        1.0,
        lambda: _project(Era.objects.all(), "era", "slug", "summary", "body", era="pk"),
        _era_url,
    ),
    Source(
        "exercise",
        "Exercises",
        0.9,
        lambda: _project(Exercise.objects.all(), "exercise", "slug", None, "statement"),
        _exercise_url,
    ),
    Source(
        "slide",
        "Slides",
        0.6,
        lambda: _project(Slide.objects.all(), "slide", "order", None, "body"),
        _slide_url,
    ),
    Source(
        "sample",
        "Code samples",
        0.5,
        lambda: _project(CodeSample.objects.all(), "sample", "order", None, "code"),
        _sample_url,
    ),
    Source("page", "Pages", 0.9, url=lambda row, era: reverse(row["key"]), pages=_site_pages),
]


def read_rows():
    """Every searchable row of every source, in one query for all the model sources."""
    queries = [source.rows() for source in SOURCES if source.rows]
    union = queries[0].union(*queries[1:], all=True)
    rows = [dict(zip(NAMES, row, strict=True)) for row in union]
    for source in SOURCES:
        if source.pages:
            rows.extend({"kind": source.kind, **row} for row in source.pages())
    return rows


SOURCE_BY_KIND = {source.kind: source for source in SOURCES}
