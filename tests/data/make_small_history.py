"""Writes tests/data/history/: a small history with every record type and ordering the fixture
dump has (relations both ways, references of several kinds, sparse fields set and unset,
exercises with checks, a talk with notes), for fast load and dump tests.

Run it only to change the set: `.venv/bin/python tests/data/make_small_history.py`.
"""

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "historyweb.settings.test")
os.environ["HISTORYWEB_VAR_DIR"] = "/tmp/historyweb-small-history"


def build():
    from tests.factories import make_era, make_exercise, make_reference, make_sample, make_slide
    from timeline.models import EraRelation, Talk, TalkEra, TalkNote

    cgi = make_era(slug="cgi", title="CGI", year=1993, summary="Scripts behind a web server.")
    wsgi = make_era(slug="wsgi", title="WSGI", year=2003, date="2003-12-07", body="PEP 333.\n")
    flask = make_era(slug="flask", title="Flask", year=2010, summary="Ünïcode in a summary.")
    asgi = make_era(slug="asgi", title="ASGI", year=2016, published=False)
    # Relations both ways of the slug order, so the dump's order is visible in the files.
    EraRelation.objects.create(era=wsgi, other=cgi, kind=EraRelation.Kind.REPLACED)
    EraRelation.objects.create(era=flask, other=wsgi, kind=EraRelation.Kind.BUILT_ON)
    EraRelation.objects.create(era=flask, other=asgi, kind=EraRelation.Kind.INFLUENCED_BY)
    EraRelation.objects.create(era=flask, other=cgi, kind=EraRelation.Kind.SAME_IDEA)
    for era in (cgi, wsgi, flask, asgi):
        first = make_slide(era, title=f"{era.title} in one slide", notes="Say it.\n")
        make_slide(era, title="Then", body="- one\n- two\n", fragments=era.slug == "wsgi")
        make_sample(
            era,
            slide=first,
            title="Hello",
            code="import sys\n\nprint('hello')\nprint(sys.version_info[0])\n",
            runtime="python",
            expected_output="hello\n3\n",
            slide_lines="3-4" if era.slug == "flask" else "",
            slide_steps="3|4|all" if era.slug == "flask" else "",
        )
        make_sample(era, title="Not run", code="x = 1\n")
        # Kinds, titles and URLs out of order: the dump sorts them.
        make_reference(era, kind="pep", title="B source", url=f"https://example.org/{era.slug}/2")
        make_reference(era, kind="docs", title="B source", url=f"https://example.org/{era.slug}/1")
        make_reference(era, kind="docs", title="A source", url=f"https://example.org/{era.slug}/3")
    make_exercise(wsgi, checks=2, slug="wsgi-hello", order=2)
    make_exercise(wsgi, checks=1, slug="wsgi-again", order=1)
    for slug, eras in (("short", [wsgi, cgi]), ("long", [cgi, wsgi, flask])):
        talk = Talk.objects.create(slug=slug, title=f"The {slug} talk", duration_minutes=20)
        for order, era in enumerate(eras, start=1):
            TalkEra.objects.create(talk=talk, era=era, order=order)
        for era in reversed(eras):
            for slide in era.slides.order_by("-order"):
                TalkNote.objects.create(talk=talk, slide=slide, notes=f"{slug}: {slide.title}\n")


def main():
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    from timeline import history_fixtures

    setup_test_environment()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0)
    build()
    target = HERE / "history"
    shutil.rmtree(target, ignore_errors=True)
    history_fixtures.dump(target)
    call_command("check", verbosity=0)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
