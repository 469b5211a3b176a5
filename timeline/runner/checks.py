"""`manage.py check`: whether runs can be held as a whole here (a cgroup each, a seccomp filter).

In production (RUNNER_REQUIRE_CONTAINMENT) a missing piece is an error, and runs refuse to start;
in development it is a warning that says what a run may then take.
"""

from django.core import checks


@checks.register(checks.Tags.security)
def check_containment(app_configs=None, **kwargs):
    from .config import get_config
    from .sandbox import containment

    config = get_config()
    if not config.bwrap:
        return []  # runs fail closed with the install hint; nothing more to hold
    problems = containment(config).problems()
    if not problems:
        return []
    hint = (
        "See 'Running samples in production' in README.md: cgroup v2 with a systemd service "
        "that has Delegate=yes and DelegateSubgroup=app, and libseccomp2."
    )
    if config.require_containment:
        return [
            checks.Error(
                "Runs cannot be held as a whole, so none will start: " + "; ".join(problems),
                hint=hint,
                id="timeline.E010",
            )
        ]
    return [
        checks.Warning(
            "Runs are not held as a whole (" + "; ".join(problems) + "): one run can take more "
            f"than RUNNER_MEMORY_LIMIT ({config.memory_bytes // (1024 * 1024)} MiB) with "
            "forks, tmpfs or shared memory, and keep state between runs.",
            hint=hint,
            id="timeline.W010",
        )
    ]
