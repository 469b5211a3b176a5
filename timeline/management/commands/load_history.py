from django.core.management.base import BaseCommand, CommandError

from historyweb import content_version
from timeline import history_fixtures
from timeline.models import Era


class Command(BaseCommand):
    help = (
        "Loads the history from fixtures/ (natural keys, so it updates rather than "
        "duplicates) and renders markdown and code. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when the database has no era yet, so an editor's changes survive.",
        )
        parser.add_argument("--dir", help="Read fixtures from this folder instead of fixtures/.")

    def handle(self, *args, if_empty=False, dir=None, **options):
        if if_empty and Era.objects.exists():
            self.stdout.write("The database already holds the history; nothing loaded.")
            return
        try:
            result = history_fixtures.load(dir)
        except history_fixtures.FixtureError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        content_version.bump_content_version()
        counts = ", ".join(f"{n} {label}" for label, n in sorted(result.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Loaded {result.files} files: {counts}."))
