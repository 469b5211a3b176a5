from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "History timeline"

    def ready(self):
        import historyweb.checks  # noqa: F401  (registers the deployment checks)
        from historyweb import page_cache

        from . import ordering
        from .runner import checks  # noqa: F401 - registers the containment check

        page_cache.connect_signals()
        ordering.connect_signals()
