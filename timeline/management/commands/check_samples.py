"""Runs every runnable sample in the sandbox and fails when an output differs from its
expected_output (or none is recorded). With --record, stores the outputs instead; then
`dump_history` writes them to fixtures/.
"""

from django.core.management.base import BaseCommand, CommandError

from timeline import health
from timeline.models import CodeSample, HealthCheck
from timeline.runner import record
from timeline.runner.sandbox import SandboxUnavailable


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--record", action="store_true", help="Write each run's output into expected_output."
        )
        parser.add_argument("--era", help="Only the samples of the era with this slug.")

    def handle(self, *args, record=False, era=None, **options):
        samples = CodeSample.objects.select_related("era").exclude(runtime="none")
        samples = samples.filter(historical=False).order_by("era__year", "era__slug", "order")
        if era:
            samples = samples.filter(era__slug=era)
        failures = []
        count = 0
        for sample in samples:
            count += 1
            label = f"{sample.era.slug}#{sample.order} {sample.title} ({sample.runtime})"
            try:
                failure = self.record_one(sample) if record else self.check_one(sample)
            except SandboxUnavailable as exc:
                raise CommandError(str(exc)) from exc
            if failure:
                failures.append((sample, label, failure.strip()))
                self.stdout.write(self.style.ERROR(f"FAIL {label}\n{failure}"))
            else:
                self.stdout.write(f"ok   {label}")
        verb = "recorded" if record else "checked"
        if not record and not era:  # a whole check: what the admin's health report shows
            health.record(HealthCheck.SAMPLES, count, failures)
        if failures:
            labels = [label for _, label, _ in failures]
            raise CommandError(
                f"{len(failures)} of {count} samples failed:\n  " + "\n  ".join(labels)
            )
        self.stdout.write(self.style.SUCCESS(f"All {count} runnable samples {verb}."))

    def check_one(self, sample):
        if not sample.expected_output.strip():
            return (
                "  No expected_output recorded: run `check_samples --record`, then `dump_history`."
            )
        result = record.run_fresh(sample)
        return record.difference(sample, result)

    def record_one(self, sample):
        result, saved = record.record(sample)
        if not saved:
            return f"  Not recorded: {result.error}"
        return ""
