"""The health report: one read-only admin page listing what the last full check_slides,
check_samples and check_exercises found wrong, and the samples never recorded, each linking to
the row to fix. The checks write it (timeline/health.py); nobody edits it here."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

from .. import health
from ..models import HealthFinding


def change_url(finding):
    """The admin page of the row a finding names, or "" when it has none."""
    opts = finding.content_type
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model}_change", args=[finding.object_id])
    except NoReverseMatch:
        return ""


@admin.register(HealthFinding)
class HealthReportAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)  # Django's own refusal
        sections = [
            (check, run, [(finding, change_url(finding)) for finding in findings])
            for check, run, findings in health.report()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Health report",
            "opts": self.model._meta,
            "sections": sections,
            "never_recorded": health.never_recorded(),
        }
        return TemplateResponse(request, "admin/timeline/healthfinding/report.html", context)
