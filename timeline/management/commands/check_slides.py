import os
import time

from django.core.management.base import BaseCommand, CommandError

from timeline import health, slide_audit
from timeline.models import HealthCheck


def matches(label, wanted):
    if wanted.endswith("*"):
        return label.startswith(wanted[:-1])
    return label == wanted


class Command(BaseCommand):
    help = (
        "The slide fit audit: renders every slide of /present/, of every era's deck and of every "
        "talk in Chromium at 1920x1080, 1280x720, 1024x768 and 1366x768, as a live follower's "
        "phone (390x844, upright), in the print view and in the handout, and names each slide "
        "whose code scrolls or is cut, whose code text is under 2.2% of the screen height (body "
        "text under 3%; on paper, code under 9 px; on the phone code under 12 px, text under "
        "14 px, or code that scrolls with no cue), or whose content leaves the screen. On every "
        "runnable slide it also presses Edit (editors' text under 2.2%, Run off screen or "
        "covered, the stage scrolled, the title cut) and shows a run's result made from the "
        "recorded output (its text under 2.2% at 4:3; over a title, or over the text at 16:9). "
        "Exits "
        "non-zero on any. Without Playwright or Chromium it says so and skips, unless --strict "
        "or CI=true, where it fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--deck",
            action="append",
            help="Only this deck, e.g. /present/ or /present/wsgi/; a trailing * matches every "
            "deck that starts so, e.g. '/talks/*' (repeatable).",
        )
        parser.add_argument(
            "--no-print", action="store_true", help="Skip the print view and the handout."
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Fail when the audit cannot run (no Playwright or Chromium), as under CI=true.",
        )

    def handle(self, *args, deck=None, no_print=False, strict=False, **options):
        # Before any rendering: a machine that cannot audit says so at once.
        try:
            slide_audit.browser_or_reason()
        except slide_audit.AuditUnavailable as exc:
            if strict or os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
                why = "--strict" if strict else "CI=true"
                raise CommandError(
                    f"Cannot audit the slides: {exc} ({why} needs the audit)."
                ) from exc
            self.stdout.write(
                self.style.WARNING(
                    f"Slide audit skipped: {exc} Nothing was checked; --strict (or CI=true) "
                    "makes this an error."
                )
            )
            return
        decks = slide_audit.all_decks()
        if deck:
            decks = [d for d in decks if any(matches(d.label, wanted) for wanted in deck)]
            if not decks:
                raise CommandError(f"No deck matches {', '.join(deck)}.")
        started = time.monotonic()
        verdicts = slide_audit.audit(decks, print_view=not no_print)
        for verdict in verdicts:
            self.stdout.write(self.style.ERROR(f"FAIL {verdict}"))
        sizes = [name for name, _, _ in (*slide_audit.SCREENS, slide_audit.FOLLOWER)]
        sizes.append("Edit and Run on each runnable slide at the screen sizes")
        if not no_print:
            sizes += [slide_audit.PRINT, slide_audit.HANDOUT]
        seconds = time.monotonic() - started
        summary = slide_audit.summarise(verdicts)
        if not deck:  # a whole audit: what the admin's health report shows
            found = slide_audit.findings(decks, verdicts)
            checked = len({id(row) for d in decks for row in d.rows.values()})
            health.record(HealthCheck.SLIDES, checked, found)
        if verdicts:
            raise CommandError(
                f"{summary['slides']} slide(s) of {len(decks)} deck(s) do not fit "
                f"({', '.join(f'{size}: {count}' for size, count in summary['sizes'].items())}) "
                f"in {seconds:.0f} s."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Every slide of {len(decks)} deck(s) fits at {', '.join(sizes)} ({seconds:.0f} s)."
            )
        )
