"""pg_trgm, for the search's "Did you mean". Nothing happens on other databases, so SQLite
migrations run unchanged (the search computes the same similarity in Python there)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class TrigramExtensionOnPostgres(TrigramExtension):
    # Django skips other databases going forwards but not backwards, where it would query
    # PostgreSQL's catalogue on SQLite.
    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0015_exercise_wrong_answers_and_difficulty")]

    operations = [TrigramExtensionOnPostgres()]
