from django.core.management.base import BaseCommand

from timeline import highlight_css


class Command(BaseCommand):
    help = "Writes static/css/pygments-light.css and pygments-dark.css for highlighted code."

    def handle(self, *args, **options):
        for theme in highlight_css.THEMES:
            target = highlight_css.path(theme)
            target.write_text(highlight_css.stylesheet(theme))
            self.stdout.write(f"Wrote {target}")
