from django.core.management.base import BaseCommand, CommandError

from timeline import health
from timeline.exercise_proof import proof_problems
from timeline.models import Exercise, HealthCheck
from timeline.runner.sandbox import SandboxUnavailable


class Command(BaseCommand):
    help = (
        "Runs every exercise's checks in the sandbox against its reference solution (which must "
        "pass them all), its starter code (which must fail at least one) and each of its wrong "
        "answers (which must fail, with a message holding the answer's rule)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--exercise", help="Only the exercise with this slug.")

    def handle(self, *args, exercise=None, **options):
        exercises = Exercise.objects.select_related("era")
        exercises = exercises.prefetch_related("checks", "wrong_answers")
        exercises = exercises.order_by("era__year", "era__slug", "order", "slug")
        if exercise:
            exercises = exercises.filter(slug=exercise)
        failures = []
        for item in exercises:
            try:
                problems = proof_problems(item)
            except SandboxUnavailable as exc:
                raise CommandError(str(exc)) from exc
            if problems:
                failures.append((item, item.title, "\n".join(problems)))
                self.stdout.write(self.style.ERROR(f"FAIL {item.slug}\n  " + "\n  ".join(problems)))
            else:
                counts = f"{len(item.checks.all())} checks, {len(item.wrong_answers.all())} wrong"
                self.stdout.write(f"ok   {item.slug} ({counts} answers refused)")
        if not exercise:  # a whole check: what the admin's health report shows
            health.record(HealthCheck.EXERCISES, len(exercises), failures)
        if failures:
            slugs = ", ".join(item.slug for item, _, _ in failures)
            raise CommandError(f"{len(failures)} exercise(s) failed: {slugs}")
        self.stdout.write(self.style.SUCCESS(f"{exercises.count()} exercise(s) checked."))
