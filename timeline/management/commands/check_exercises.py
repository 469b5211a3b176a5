from django.core.management.base import BaseCommand, CommandError

from timeline.exercise_checks import run_checks
from timeline.models import Exercise
from timeline.runner.sandbox import SandboxUnavailable


class Command(BaseCommand):
    help = (
        "Runs every exercise's checks in the sandbox against its reference solution (which must "
        "pass them all) and its starter code (which must fail at least one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--exercise", help="Only the exercise with this slug.")

    def handle(self, *args, exercise=None, **options):
        exercises = Exercise.objects.select_related("era").prefetch_related("checks")
        exercises = exercises.order_by("era__year", "era__slug", "order", "slug")
        if exercise:
            exercises = exercises.filter(slug=exercise)
        failures = []
        for item in exercises:
            try:
                problems = self.problems(item)
            except SandboxUnavailable as exc:
                raise CommandError(str(exc)) from exc
            if problems:
                failures.append(item.slug)
                self.stdout.write(self.style.ERROR(f"FAIL {item.slug}\n  " + "\n  ".join(problems)))
            else:
                self.stdout.write(f"ok   {item.slug} ({len(item.checks.all())} checks)")
        if failures:
            raise CommandError(f"{len(failures)} exercise(s) failed: {', '.join(failures)}")
        self.stdout.write(self.style.SUCCESS(f"{exercises.count()} exercise(s) checked."))

    def problems(self, exercise):
        if not exercise.checks.all():
            return ["it has no checks"]
        problems = []
        passed, outcomes = run_checks(exercise, exercise.solution)
        if not passed:
            failed = [f"{o.name}: {o.message}" for o in outcomes if not o.passed]
            problems.append("the reference solution fails: " + "; ".join(failed))
        passed, _ = run_checks(exercise, exercise.starter)
        if passed:
            problems.append("the starter code already passes every check")
        return problems
