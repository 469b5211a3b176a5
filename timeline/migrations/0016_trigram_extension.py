"""pg_trgm, for the search's "Did you mean". TrigramExtension does nothing on other databases,
so SQLite migrations run unchanged (the search computes the same similarity in Python there)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("timeline", "0015_exercise_wrong_answers_and_difficulty")]

    operations = [TrigramExtension()]
