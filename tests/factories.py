"""Small factories: each builds a valid object with sensible defaults."""

import itertools

from timeline.models import (
    CodeSample,
    Era,
    Exercise,
    ExerciseCheck,
    ExerciseWrongAnswer,
    Reference,
    Slide,
    Talk,
    TalkEra,
)

_counter = itertools.count(1)


def make_era(**fields):
    n = next(_counter)
    defaults = {
        "slug": f"era-{n}",
        "title": f"Era {n}",
        "year": 1990 + n % 30,
        "kind": Era.Kind.FRAMEWORK,
        "summary": f"Summary of era {n}.",
        "body": f"Body of era **{n}**.",
    }
    defaults.update(fields)
    return Era.objects.create(**defaults)


def make_slide(era, **fields):
    order = fields.pop("order", None) or (era.slides.count() + 1)
    defaults = {"title": f"Slide {order}", "body": "A *slide*.", "notes": "Say this."}
    defaults.update(fields)
    return Slide.objects.create(era=era, order=order, **defaults)


def make_sample(era, **fields):
    order = fields.pop("order", None) or (era.samples.count() + 1)
    defaults = {"title": f"Sample {order}", "language": "python", "code": "print('hi')\n"}
    defaults.update(fields)
    return CodeSample.objects.create(era=era, order=order, **defaults)


def make_reference(era, **fields):
    n = next(_counter)
    order = fields.pop("order", None) or (era.references.count() + 1)
    defaults = {"title": f"Source {n}", "url": f"https://example.org/{n}", "kind": "docs"}
    defaults.update(fields)
    return Reference.objects.create(era=era, order=order, **defaults)


def make_talk(eras, **fields):
    n = next(_counter)
    defaults = {"slug": f"talk-{n}", "title": f"Talk {n}", "duration_minutes": 20}
    defaults.update(fields)
    talk = Talk.objects.create(**defaults)
    for order, era in enumerate(eras, start=1):
        TalkEra.objects.create(talk=talk, era=era, order=order)
    return talk


def generate_eras(count, slides=4, samples=3, references=4):
    """`count` made-up eras, each with slides, samples (one linked to a slide) and references,
    inserted in bulk: the shape of the real fixtures at any size (query-count tests, benches)."""
    start = next(_counter) * 10_000
    eras = Era.objects.bulk_create(
        Era(
            slug=f"gen-{start + n}",
            title=f"Generated {start + n}",
            year=1990 + n % 30,
            summary="A generated era.",
            body="Generated body.\n",
            body_html="<p>Generated body.</p>",
        )
        for n in range(count)
    )
    Slide.objects.bulk_create(
        Slide(era=era, order=o, title=f"Slide {o}", body="- a\n- b\n", notes="Say.\n")
        for era in eras
        for o in range(1, slides + 1)
    )
    first_slides = {s.era_id: s for s in Slide.objects.filter(era__in=eras, order=1)}
    CodeSample.objects.bulk_create(
        CodeSample(
            era=era,
            order=o,
            title=f"Sample {o}",
            code="print('hi')\n",
            slide=first_slides[era.pk] if o == 1 else None,
        )
        for era in eras
        for o in range(1, samples + 1)
    )
    Reference.objects.bulk_create(
        Reference(era=era, order=o, title=f"Source {o}", url=f"https://example.org/{era.slug}/{o}")
        for era in eras
        for o in range(1, references + 1)
    )
    return eras


def generate_exercises(eras, checks=2, wrong_answers=1):
    """One made-up exercise per era, with `checks` checks and `wrong_answers` wrong answers,
    inserted in bulk (query-count tests, benches)."""
    start = next(_counter) * 10_000
    exercises = Exercise.objects.bulk_create(
        Exercise(
            era=era,
            slug=f"gen-exercise-{start + n}",
            title=f"Generated exercise {start + n}",
            statement="Answer with *hello*.",
            starter="def application(environ, start_response):\n    pass\n",
            solution="def application(environ, start_response):\n    return [b'hello']\n",
        )
        for n, era in enumerate(eras)
    )
    ExerciseCheck.objects.bulk_create(
        ExerciseCheck(
            exercise=exercise,
            order=o,
            name=f"check {o}",
            request="GET / HTTP/1.1\nHost: localhost\n",
            status=200,
            body="hello",
        )
        for exercise in exercises
        for o in range(1, checks + 1)
    )
    ExerciseWrongAnswer.objects.bulk_create(
        ExerciseWrongAnswer(
            exercise=exercise, order=o, title=f"wrong {o}", rule="status", code="pass\n"
        )
        for exercise in exercises
        for o in range(1, wrong_answers + 1)
    )
    return exercises


def make_exercise(era, checks=1, check=None, **fields):
    """An exercise with `checks` hidden checks, each made of the ExerciseCheck fields `check`."""
    n = next(_counter)
    defaults = {
        "slug": f"exercise-{n}",
        "title": f"Exercise {n}",
        "statement": "Answer with *hello*.",
        "runtime": "wsgi",
        "starter": "def application(environ, start_response):\n    pass\n",
        # wsgiref.validate, which checks answers, wants a Content-Type (PEP 3333's lint)
        "solution": "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'hello']\n",
    }
    defaults.update(fields)
    exercise = Exercise.objects.create(era=era, **defaults)
    check_fields = {"request": "GET /hello HTTP/1.1\nHost: localhost\n", "status": 200}
    check_fields.update(check or {"body": "hello"})
    for order in range(1, checks + 1):
        fields = {"name": f"check {order}", **check_fields}
        ExerciseCheck.objects.create(exercise=exercise, order=order, **fields)
    return exercise


# A WSGI app that answers with the path it was asked for, and what it prints for GET /path.
PATH_ECHO_WSGI = (
    "def application(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [environ['PATH_INFO'].encode()]\n"
)
PATH_ECHO_OUTPUT = "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n/path\n"
