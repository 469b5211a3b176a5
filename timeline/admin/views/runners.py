"""The runner hosts, for staff: what `manage.py runner_status` prints, as a page of the samples'
admin, so whoever watches a class checking answers sees the queue without a shell."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from ...runner import pool


def runners_view(request, model_admin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Runner hosts",
        "opts": model_admin.model._meta,
        "pooled": pool.enabled(),
    }
    if context["pooled"]:
        from ...runner import pool_stats

        try:
            context["status"] = pool_stats.status()
        except Exception as exc:  # Redis down or refusing: say so, the admin keeps working
            context["unreachable"] = str(exc) or type(exc).__name__
    return TemplateResponse(request, "admin/timeline/codesample/runners.html", context)
