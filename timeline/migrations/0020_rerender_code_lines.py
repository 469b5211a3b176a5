"""Code rendered before wrapped lines kept their indentation (one element per line carrying its
indent, timeline/rendering.py) is rendered again, and every cached page made stale."""

import time

from django.db import migrations


def rerender(apps, schema_editor):
    from timeline import rendering

    CodeSample = apps.get_model("timeline", "CodeSample")
    for sample in CodeSample.objects.all():
        label = f"Code: {sample.title}"
        sample.highlighted_html = rendering.highlight_code(
            sample.code, sample.language, label=label
        )
        if sample.slide_lines or sample.slide_steps:
            try:
                sample.slide_html = rendering.highlight_slide_lines(
                    sample.code, sample.language, sample.slide_lines, label=label
                )
            except ValueError:
                sample.slide_html = ""
        sample.save(update_fields=["highlighted_html", "slide_html"])
    Exercise = apps.get_model("timeline", "Exercise")
    for exercise in Exercise.objects.all():
        label = f"Reference solution: {exercise.title}"
        exercise.solution_html = rendering.highlight_code(
            exercise.solution, exercise.language, label=label
        )
        exercise.save(update_fields=["solution_html"])
    ContentVersion = apps.get_model("historyweb", "ContentVersion")
    now_ms = time.time_ns() // 1_000_000
    for row in ContentVersion.objects.all():
        row.number = max(row.number + 1, now_ms)
        row.save(update_fields=["number"])


class Migration(migrations.Migration):
    dependencies = [
        ("historyweb", "0001_initial"),
        ("timeline", "0019_health_report"),
    ]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True)]
