from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "History timeline"

    def ready(self):
        from . import page_cache, renumbering
        from .runner import checks  # noqa: F401 - registers the runner's checks

        page_cache.connect_signals()
        renumbering.connect_signals()
