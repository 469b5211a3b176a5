"""Writes tests/data/history/: a small history with every record type and ordering the fixture
dump has (relations both ways, references of several kinds, sparse fields set and unset,
exercises with checks, a talk with notes), for fast load and dump tests.

`build()` makes the rows in an order unlike the files' (slides, samples, references, relations,
talks and notes all out of order), so a dump that wrote them in database order would differ
(tests/test_history_fixtures.py). Run this only to change the set:
`.venv/bin/python tests/data/make_small_history.py`.
"""

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "history"


def build():
    from tests.factories import make_era, make_exercise, make_reference, make_sample, make_slide
    from timeline.models import EraRelation, ExerciseCheck, Talk, TalkEra, TalkNote

    eras = {}
    for slug, title, year, extra in (
        ("cgi", "CGI", 1993, {}),
        ("wsgi", "WSGI", 2003, {"date": "2003-12-07", "date_note": "PEP 333's date."}),
        ("flask", "Flask", 2010, {"summary": "Ünïcode in a summary."}),
        ("asgi", "ASGI", 2016, {"published": False}),
    ):
        fields = {"summary": f"{title} in a sentence.", "body": f"All about **{title}**.\n"}
        fields.update(extra)
        eras[slug] = make_era(slug=slug, title=title, year=year, **fields)
    cgi, wsgi, flask, asgi = eras.values()
    # Relations both ways of the slug order, so the dump's order is visible in the files.
    EraRelation.objects.create(era=flask, other=wsgi, kind=EraRelation.Kind.BUILT_ON)
    EraRelation.objects.create(era=flask, other=asgi, kind=EraRelation.Kind.INFLUENCED_BY)
    EraRelation.objects.create(era=flask, other=cgi, kind=EraRelation.Kind.SAME_IDEA)
    EraRelation.objects.create(era=wsgi, other=cgi, kind=EraRelation.Kind.REPLACED)
    for era in eras.values():
        make_slide(era, order=2, title="Then", body="- one\n- two\n", fragments=era.slug == "wsgi")
        first = make_slide(era, order=1, title=f"{era.title} in one slide", notes="Say it.\n")
        make_sample(era, order=2, title="Not run", code="x = 1\n")
        make_sample(
            era,
            order=1,
            slide=first,
            title="Hello",
            code="import sys\n\nprint('hello')\nprint(sys.version_info[0])\n",
            runtime="python",
            expected_output="hello\n3\n",
            slide_lines="3-4" if era.slug == "flask" else "",
            slide_steps="3|4|all" if era.slug == "flask" else "",
        )
        # The dump lists references by their order: made in another one.
        base = f"https://example.org/{era.slug}"
        make_reference(era, order=3, kind="pep", title="A source", url=f"{base}/3")
        make_reference(era, order=1, kind="docs", title="C source", url=f"{base}/1")
        make_reference(era, order=4, kind="docs", title="B source", url=f"{base}/4")
        make_reference(era, order=2, kind="docs", title="B source", url=f"{base}/2")
    # Exercises by order, then slug, and their checks by exercise, then order: likewise.
    hello = make_exercise(wsgi, checks=0, slug="wsgi-hello", title="Hello", order=1)
    again = make_exercise(wsgi, checks=0, slug="wsgi-again", title="Again", order=2)
    also = make_exercise(wsgi, checks=0, slug="wsgi-also", title="Also", order=1)
    for exercise, orders in ((hello, [2, 1]), (again, [1]), (also, [1])):
        for order in orders:
            ExerciseCheck.objects.create(
                exercise=exercise,
                order=order,
                name=f"check {order}",
                request="GET /hello HTTP/1.1\nHost: localhost\n",
                status=200,
                body="hello",
            )
    for slug, talk_eras in (("short", [wsgi, cgi]), ("long", [cgi, wsgi, flask])):
        talk = Talk.objects.create(slug=slug, title=f"The {slug} talk", duration_minutes=20)
        for order in reversed(range(1, len(talk_eras) + 1)):
            TalkEra.objects.create(talk=talk, era=talk_eras[order - 1], order=order)
        for era in reversed(talk_eras):
            for slide in era.slides.order_by("-order"):
                TalkNote.objects.create(talk=talk, slide=slide, notes=f"{slug}: {slide.title}\n")


def main():
    sys.path.insert(0, str(HERE.parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "historyweb.settings.test")
    os.environ["HISTORYWEB_VAR_DIR"] = "/tmp/historyweb-small-history"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from timeline import history_fixtures

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    build()
    shutil.rmtree(TARGET, ignore_errors=True)
    history_fixtures.dump(TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
