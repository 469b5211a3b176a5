"""Related eras say how they relate: the symmetrical `related` links become EraRelation rows
with a kind. Each existing pair is kept once, on the later era (as the fixtures wrote it), as
"same idea"; the fixtures then give the real kinds."""

import django.db.models.deletion
from django.db import migrations, models


def later_first(era):
    return (era.year, era.date is None, era.date or 0, era.title, era.slug)


def copy_links(apps, schema_editor):
    Era = apps.get_model("timeline", "Era")
    EraRelation = apps.get_model("timeline", "EraRelation")
    Through = Era.related.through
    eras = {era.pk: era for era in Era.objects.all()}
    pairs = set()
    for a, b in Through.objects.values_list("from_era_id", "to_era_id"):
        if a != b:
            earlier, later = sorted((eras[a], eras[b]), key=later_first)
            pairs.add((later.pk, earlier.pk))
    EraRelation.objects.bulk_create(
        EraRelation(era_id=era, other_id=other, kind="same-idea") for era, other in sorted(pairs)
    )


def copy_back(apps, schema_editor):
    Era = apps.get_model("timeline", "Era")
    EraRelation = apps.get_model("timeline", "EraRelation")
    Through = Era.related.through
    rows = []
    for era, other in EraRelation.objects.values_list("era_id", "other_id"):
        rows += [
            Through(from_era_id=era, to_era_id=other),
            Through(from_era_id=other, to_era_id=era),
        ]
    Through.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0006_slide_steps")]

    operations = [
        migrations.CreateModel(
            name="EraRelation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("built-on", "built on"),
                            ("replaced", "replaced"),
                            ("influenced-by", "was influenced by"),
                            ("same-idea", "same idea as"),
                        ],
                        default="same-idea",
                        help_text="Read it as a sentence: “<this era> built on <related era>”.",
                        max_length=20,
                    ),
                ),
                (
                    "era",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations",
                        to="timeline.era",
                    ),
                ),
                (
                    "other",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="inverse_relations",
                        to="timeline.era",
                        verbose_name="related era",
                    ),
                ),
            ],
            options={
                "verbose_name": "related era",
                "verbose_name_plural": "related eras",
                "ordering": ["era", "other"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("era", "other"), name="unique_relation_per_pair"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("era", models.F("other")), _negated=True),
                        name="relation_not_to_itself",
                    ),
                ],
            },
        ),
        migrations.RunPython(copy_links, copy_back),
        migrations.RemoveField(model_name="era", name="related"),
        migrations.AddField(
            model_name="era",
            name="related",
            field=models.ManyToManyField(
                blank=True,
                help_text="Eras this one built on, replaced, was influenced by, or shares an idea with.",
                through="timeline.EraRelation",
                through_fields=("era", "other"),
                to="timeline.era",
            ),
        ),
    ]
