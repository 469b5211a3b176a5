from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "History timeline"

    def ready(self):
        import historyweb.checks  # noqa: F401  (registers the deployment checks)
        from historyweb import page_cache

        from . import ordering
        from .models import CONTENT_MODELS, Era
        from .runner import checks  # noqa: F401 - registers the containment check

        # Any change to the content makes every cached page stale.
        page_cache.connect_signals(CONTENT_MODELS, relations=[Era.related.through])
        ordering.connect_signals()
