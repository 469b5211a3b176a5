from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "History timeline"

    def ready(self):
        from historyweb import content_version, lifespan

        from . import renumbering
        from .live import channel
        from .models import CONTENT_MODELS, Era
        from .runner import checks, sandbox, spares  # noqa: F401 - importing checks registers them

        # Any change to the content makes every cached page stale.
        content_version.connect_signals(CONTENT_MODELS, relations=[Era.related.through])
        renumbering.connect_signals()
        # A stopping server ends the live streams at once (with "bye"), not after 30 minutes.
        lifespan.on_stop(channel.stop_hub)
        # A worker killed mid-run left its run's code and cgroup: its successor removes them.
        lifespan.on_start(sandbox.sweep_at_start)
        # Its spare sandboxes stopped, their cgroups, uids and work directories given back.
        lifespan.on_stop(spares.stop_all)
