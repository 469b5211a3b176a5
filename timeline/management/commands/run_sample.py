from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from timeline.models import CodeSample
from timeline.runner.record import COMMAND_SLOT_WAIT
from timeline.runner.runtimes import RUNNABLE
from timeline.runner.sandbox import SandboxUnavailable
from timeline.runner.service import run_code


class Command(BaseCommand):
    help = (
        "Runs one sample in the sandbox and prints the result: a sample by its id, or a file "
        "with --file and --runtime. Exits non-zero when the run fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("pk", nargs="?", type=int, help="The CodeSample's id.")
        parser.add_argument("--file", help="Run the code in this file instead of a sample.")
        parser.add_argument("--runtime", choices=sorted(RUNNABLE), help="How to run --file.")
        parser.add_argument("--request", help="A file holding the raw HTTP request to send.")

    def handle(self, *args, pk=None, file=None, runtime=None, request=None, **options):
        if (pk is None) == (file is None):
            raise CommandError("Give either a sample id or --file with --runtime.")
        request_text = read(request) if request else None
        if pk is not None:
            try:
                sample = CodeSample.objects.select_related("era").get(pk=pk)
            except CodeSample.DoesNotExist:
                raise CommandError(f"There is no sample with id {pk}.") from None
            if not sample.runnable:
                raise CommandError(f"“{sample}” is not runnable (runtime none, or historical).")
            runtime, code = sample.runtime, sample.code
            request_text = sample.request if request_text is None else request_text
            self.stderr.write(f"Running “{sample}” ({runtime})…")
        else:
            if not runtime:
                raise CommandError("--file needs --runtime (python, cgi, wsgi or asgi).")
            code = read(file)
        try:
            result = run_code(runtime, code, request_text or "", wait=COMMAND_SLOT_WAIT)
        except SandboxUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(result.output, ending="" if result.output.endswith("\n") else "\n")
        if result.log:
            self.stderr.write("-- log --\n" + result.log)
        self.stderr.write(f"-- {result.duration_ms:.0f} ms --")
        if not result.ok:
            raise CommandError(f"The run failed:\n{result.error}")


def read(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc
