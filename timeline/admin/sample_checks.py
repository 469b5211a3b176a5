"""Run and Record in each sample row of an era's change form, as on the sample's own page:
the same endpoints (views/runs.py) and script (static/js/admin-sample-check.js). Shown only
to an editor who may change samples, as the endpoints require."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .media import SAMPLE_CHECK_MEDIA

CHECK_FIELD = "sample_check"


class SampleCheckInlineMixin:
    """A sample inline whose saved, runnable rows get Run and Record buttons."""

    def _may_check(self, request, obj):
        return self.has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return [*fields, CHECK_FIELD] if self._may_check(request, obj) else fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, CHECK_FIELD] if self._may_check(request, obj) else fields

    @admin.display(description="Run and record")
    def sample_check(self, sample):
        if sample is None or sample.pk is None:
            return "Save the sample to run it here."
        if not sample.runnable:
            return "Not run here: the saved sample is historical or has no runtime."
        # Buttons, not submits: Enter in a field of the era's form must still save the era.
        return format_html(
            '<div class="sample-check-buttons">'
            '<button type="button" class="button" data-sample-check="run" data-url="{}">'
            "Run</button>"
            '<button type="button" class="button" data-sample-check="record" data-url="{}">'
            "Record</button></div>"
            '<p class="sample-check-note">Run: the code and request as typed in this row, '
            "against its expected output. Record: the saved sample's output, into expected "
            "output.</p>"
            '<div class="sample-check-result" aria-live="polite"></div>',
            reverse("admin:timeline_codesample_run", args=[sample.pk]),
            reverse("admin:timeline_codesample_record", args=[sample.pk]),
        )

    @property
    def media(self):
        return super().media + SAMPLE_CHECK_MEDIA
