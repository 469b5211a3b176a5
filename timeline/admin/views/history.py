"""Revisions of an era or an exercise compared, as a unified diff.

Every save of an era through the admin (with its slides, samples and references), or of an
exercise (with its checks and wrong answers), is a django-reversion revision with its author
and time; reverting is reversion's own history page (with views/revert.py). What reversion
does not give is a comparison: it is here (read row by row in revision_diff.py).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from reversion.models import Version

from ... import revisions
from .revision_diff import compare_revisions


def compare_view(request, object_id, model_admin):
    """Two revisions of one object, side by side as a unified diff (older to newer)."""
    opts = model_admin.model._meta
    obj = get_object_or_404(model_admin.model, pk=object_id)
    if not model_admin.has_view_or_change_permission(request, obj):
        raise PermissionDenied
    url_name = f"admin:{opts.app_label}_{opts.model_name}"
    versions = Version.objects.get_for_object(obj).select_related("revision__user")
    chosen = []
    for name in ("older", "newer"):
        try:
            chosen.append(versions.get(pk=int(request.GET.get(name, ""))))
        except (ValueError, Version.DoesNotExist):
            messages.error(request, f"Choose two revisions of this {opts.verbose_name} to compare.")
            return redirect(f"{url_name}_history", obj.pk)
    older, newer = sorted(chosen, key=lambda v: v.revision.date_created)
    lines = compare_revisions(older.revision, newer.revision, _label(older), _label(newer))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Compare revisions of {obj.title}",
        "opts": opts,
        "original": obj,
        "older": older,
        "newer": newer,
        "diff": lines,
        "revert_url": (
            reverse(f"{url_name}_revision", args=[obj.pk, older.pk])
            if model_admin.has_change_permission(request, obj)
            else None
        ),
    }
    return TemplateResponse(request, "admin/timeline/revisions/compare.html", context)


def _label(version):
    user = version.revision.user.get_username() if version.revision.user else "unknown"
    return f"{version.revision.date_created:%Y-%m-%d %H:%M:%S} by {user}"


def history_versions(obj):
    """The object's versions, newest first, for the history page's compare form."""
    versions = Version.objects.get_for_object(obj).select_related("revision__user")
    return list(versions.order_by("-revision__date_created"))


class FirstStateMixin:
    """A VersionAdmin whose first save of an object also keeps the state before it."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A draft's trial save is rolled back: no state to keep (admin/drafts.py).
        if request.method == "POST" and not getattr(request, "draft_trial", False):
            revisions.record_first_state(self.get_object(request, object_id))
        return super().change_view(request, object_id, form_url, extra_context)
