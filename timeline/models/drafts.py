"""A draft of an era: its change form as the editor posted it, kept apart from the live rows
until it is published (state, not content: never exported, never a reason to re-render a
page)."""

from django.conf import settings
from django.db import models


class EraDraft(models.Model):
    """The pending draft of one era. The form data holds the version the draft was based on
    (the change form's `_version`), so publishing it is checked like a save of that page."""

    era = models.OneToOneField("timeline.Era", on_delete=models.CASCADE, related_name="draft")
    data = models.JSONField(help_text="The change form's fields, as [name, value] pairs.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Draft of {self.era_id}"
