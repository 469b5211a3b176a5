"""Shows the runner hosts of runs across machines (RUNNER_BROKER_URL): the queue's length, and for
each host seen in the last minute its runs per second, p50/p95 wait and run time and refused
runs; with --inspect, the runs each is running now (Celery inspect).
"""

from django.core.management.base import BaseCommand, CommandError

from timeline.runner import pool


def ms(value):
    return "-" if value is None else f"{value:.0f}"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--inspect", action="store_true", help="Also ask each worker what it runs now."
        )

    def handle(self, *args, inspect=False, **options):
        if not pool.enabled():
            self.stdout.write("Runs happen in this process: no RUNNER_BROKER_URL, no runner hosts.")
            return
        from timeline.runner import pool_stats

        try:
            status = pool_stats.status()
        except Exception as exc:
            raise CommandError(f"The runners' queue is unreachable: {exc}") from exc
        self.stdout.write(
            f"Queue: {status['queue_length']} runs waiting; {status['refused']} refused by web "
            "servers in the last minute (queue over its budget)."
        )
        if not status["hosts"]:
            self.stdout.write("No runner host seen in the last minute.")
            return
        active = self.active() if inspect else {}
        self.stdout.write(
            f"{'host':<32} {'slots':>5} {'runs/s':>7} {'wait p50/p95 ms':>16} "
            f"{'run p50/p95 ms':>15} {'refused':>7}" + ("  running" if inspect else "")
        )
        for host in status["hosts"]:
            line = (
                f"{host['host']:<32} {host['slots']:>5} {host['runs_per_second']:>7.2f} "
                f"{ms(host['wait_p50']) + '/' + ms(host['wait_p95']):>16} "
                f"{ms(host['run_p50']) + '/' + ms(host['run_p95']):>15} {host['rejected']:>7}"
            )
            if inspect:
                line += f"  {active.get(host['host'], '-')}"
            self.stdout.write(line)

    def active(self):
        """{worker: runs running now}, from the workers that answer within a second."""
        from historyweb.celery import app

        answers = app.control.inspect(timeout=1.0).active() or {}
        return {worker: len(tasks) for worker, tasks in answers.items()}
