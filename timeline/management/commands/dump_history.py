from django.core.management.base import BaseCommand

from timeline import history_fixtures


class Command(BaseCommand):
    help = "Writes the database back to fixtures/: one file per era and talks.json, stable order."

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="Write into this folder instead of fixtures/.")

    def handle(self, *args, dir=None, **options):
        written = history_fixtures.dump(dir)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} files."))
