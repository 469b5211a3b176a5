"""Admin pages at 30 and at 500 eras: queries and time per page (budget: ≤ 30 queries
on a change page, the same at any size).

    .venv/bin/python bench/admin_pages.py [--eras 30 500] [--repeat 3]

Every list and change page, the WSGI era's and the wsgi-router exercise's history, compare and
revert pages (after two saves of each form), the export preview and the runner hosts page
(the health report is the health finding list). Runs in-process on a
throwaway in-memory database: the fixtures (30 eras), then generated eras of the same shape
(tests/factories.generate_eras), each with an exercise (generate_exercises), up to each size.
Prints one line per page: queries and the median time of --repeat GETs. Revert restores the
object's rows one by one, so its count follows that object's size, not the others'.
No budget is enforced here; the query counts are asserted in tests/test_admin_queries.py.
"""

import argparse
import statistics
import time

from in_memory import setup_django  # bench/, the scripts' own directory


def pages():
    from django.contrib import admin
    from django.urls import reverse

    from timeline.models import Era, Exercise

    wsgi = Era.objects.get(slug="wsgi")
    exercise = Exercise.objects.get(slug=EXERCISE)
    objects = {
        "exercise": exercise,
        "era": wsgi,
        "slide": wsgi.slides.first(),
        "codesample": wsgi.samples.first(),
        "reference": wsgi.references.first(),
        "talk": wsgi.talks.first(),
    }
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        yield f"{name} list", reverse(f"admin:{app}_{name}_changelist")
        if name in objects:
            obj = objects[name]
            yield f"{name} change", reverse(f"admin:{app}_{name}_change", args=[obj.pk])
    yield from revision_pages(wsgi)
    yield from revision_pages(exercise)
    yield "export preview", reverse("admin:timeline_era_export_fixtures")
    yield "runner hosts", reverse("admin:timeline_codesample_runners")


# The exercise whose pages are measured (one of the fixtures', of the WSGI era).
EXERCISE = "wsgi-router"


def revision_pages(obj):
    """The object's history, two revisions compared and the older one's revert form."""
    from django.urls import reverse
    from reversion.models import Version

    name = obj._meta.model_name
    newer, older = Version.objects.get_for_object(obj)[:2]
    yield f"{name} history", reverse(f"admin:timeline_{name}_history", args=[obj.pk])
    compare = reverse(f"admin:timeline_{name}_compare", args=[obj.pk])
    yield f"{name} compare", f"{compare}?older={older.pk}&newer={newer.pk}"
    yield f"{name} revert", reverse(f"admin:timeline_{name}_revision", args=[obj.pk, older.pk])


def save_twice(client):
    """Two saves of the WSGI era's and of the exercise's form as loaded: two revisions of each
    to compare and revert to."""
    from django.urls import reverse

    from tests.form_post import post_form
    from timeline.models import Era, Exercise

    forms = [
        ("era", Era.objects.get(slug="wsgi").pk),
        ("exercise", Exercise.objects.get(slug=EXERCISE).pk),
    ]
    for name, pk in forms:
        url = reverse(f"admin:timeline_{name}_change", args=[pk])
        for _ in range(2):
            assert post_form(client, url, f"{name}_form").status_code == 302


def measure(client, url, repeat):
    from django.db import connection

    # Counted by a wrapper: CaptureQueriesContext keeps only the last 9,000 queries.
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    times = []
    for _ in range(repeat):
        count[0] = 0
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return count[0], statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eras", type=int, nargs="+", default=[30, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.factories import generate_eras, generate_exercises
    from timeline.models import Era

    user = get_user_model().objects.create_superuser("bench", "b@example.org", "pw")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    save_twice(client)
    print(f"{'page':<20}" + "".join(f"{n:>8} eras: queries   ms" for n in args.eras))
    rows = {}
    for size in sorted(args.eras):
        missing = size - Era.objects.count()
        if missing > 0:
            generate_exercises(generate_eras(missing))
        for label, url in pages():
            rows.setdefault(label, []).append(measure(client, url, args.repeat))
    for label, figures in rows.items():
        cells = "".join(f"{q:>22} {t * 1000:>5.0f}" for q, t in figures)
        print(f"{label:<20}{cells}")


if __name__ == "__main__":
    main()
