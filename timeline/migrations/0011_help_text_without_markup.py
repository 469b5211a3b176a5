from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0010_reference_order"),
    ]

    operations = [
        migrations.AlterField(
            model_name="era",
            name="slug",
            field=models.SlugField(
                help_text="The address of the era's page, e.g. /eras/wsgi/ for “wsgi”. Keep it stable.",
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="erarelation",
            name="kind",
            field=models.CharField(
                choices=[
                    ("built-on", "built on"),
                    ("replaced", "replaced"),
                    ("influenced-by", "was influenced by"),
                    ("same-idea", "same idea as"),
                ],
                default="same-idea",
                help_text="Read it as a sentence: “this era built on the related era”.",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="exercise",
            name="slug",
            field=models.SlugField(
                help_text="The address: /exercises/ then the slug.", unique=True
            ),
        ),
        migrations.AlterField(
            model_name="talk",
            name="slug",
            field=models.SlugField(
                help_text="The talk's address: /talks/ then the slug, then /present/.", unique=True
            ),
        ),
    ]
