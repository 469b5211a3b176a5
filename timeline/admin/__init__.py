"""The site's admin, one module per domain: eras (with their slides, samples, references and
relations inline), content (slides, samples and references on their own pages), talks and
exercises. Importing the package registers every ModelAdmin.

Beside them: media (the editor's scripts and stylesheets), widgets (choice lists read once),
formsets (inline rows reordered in one POST) and views/ (the pages beyond Django's own:
revisions compared and reverted, the fixtures export, a sample's Run and Record)."""

from . import content, eras, exercises, health, talks  # noqa: F401 - importing registers them
