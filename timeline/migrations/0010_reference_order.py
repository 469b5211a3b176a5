"""References get an order of their own, so an editor can arrange an era's sources; every
order is a position from 1 within a small integer.

Existing references are numbered in the order pages showed them until now (kind, then
title; the URL breaks ties), sorted in Python so SQLite and PostgreSQL number them alike
whatever the database's collation.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import migrations, models

# Orders are positions from 1 within a small integer, checked alike on SQLite and PostgreSQL.
ORDER_VALIDATORS = [MinValueValidator(1), MaxValueValidator(32767)]


def number_references(apps, schema_editor):
    Reference = apps.get_model("timeline", "Reference")
    by_era = {}
    for ref in Reference.objects.only("pk", "era_id", "kind", "title", "url"):
        by_era.setdefault(ref.era_id, []).append(ref)
    changed = []
    for refs in by_era.values():
        refs.sort(key=lambda ref: (ref.kind, ref.title, ref.url, ref.pk))
        for order, ref in enumerate(refs, start=1):
            ref.order = order
            changed.append(ref)
    Reference.objects.bulk_update(changed, ["order"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0009_evidence_line_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="reference",
            name="order",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(number_references, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="reference",
            name="order",
            field=models.PositiveSmallIntegerField(
                validators=ORDER_VALIDATORS,
                help_text="Position in the era's list of sources, from 1.",
            ),
        ),
        migrations.AlterField(
            model_name="slide",
            name="order",
            field=models.PositiveSmallIntegerField(
                validators=ORDER_VALIDATORS, help_text="Position within the era, from 1."
            ),
        ),
        migrations.AlterField(
            model_name="codesample",
            name="order",
            field=models.PositiveSmallIntegerField(
                validators=ORDER_VALIDATORS, help_text="Position within the era, from 1."
            ),
        ),
        migrations.AlterField(
            model_name="talkera",
            name="order",
            field=models.PositiveSmallIntegerField(validators=ORDER_VALIDATORS),
        ),
        migrations.AlterModelOptions(
            name="reference",
            options={"ordering": ["era", "order"]},
        ),
        migrations.AddConstraint(
            model_name="reference",
            constraint=models.UniqueConstraint(
                fields=("era", "order"), name="unique_reference_order_per_era"
            ),
        ),
    ]
