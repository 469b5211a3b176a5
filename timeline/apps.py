from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "History timeline"

    def ready(self):
        from . import ordering, page_cache
        from .runner import checks  # noqa: F401 - registers the runner's checks

        page_cache.connect_signals()
        ordering.connect_signals()
