"""Drafts of a published era: "Save draft" keeps the published version on the site and in
every deck, staff preview the draft (the era page, the deck), "Publish" makes it live.

A draft is the era's change form as posted (timeline.models.EraDraft), with the version it
was loaded from. Saving it runs the whole admin save (validation, inlines, concurrency check)
inside a transaction that is rolled back, so a draft that would not save is refused with the
form's own errors, and nothing of it reaches a live row, a revision or the content version
(its bump runs on commit: historyweb/content_version.py). A preview applies the draft the same
way, renders the page from the rows as they would be, and rolls back; it is an admin page, so
no page cache or live session ever sees it. Publishing is that save for real, checked against
the version the draft was based on, as a save of that page would be.
"""

import copy
import re

import reversion
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from ..models import Era, EraDraft
from ..views.caching import keep_private
from ..views.eras import era_detail
from ..views.present import present_era
from .views import admin_page

SAVE_DRAFT = "_save_draft"
BODY_TAG = re.compile(r"<body\b[^>]*>")
FROM_DRAFT = "_from_draft"  # the form was loaded from the draft: saving it publishes it
NOT_FORM_DATA = {"csrfmiddlewaretoken", SAVE_DRAFT, FROM_DRAFT, "_save", "_continue"}


def posting(request, draft, **flags):
    """A copy of `request` that posts the draft's form data (and no files)."""
    posted = copy.copy(request)
    post = QueryDict(mutable=True)
    for name, value in draft.data:
        post.appendlist(name, value)
    # Both set, or reading FILES would parse the request's own body into POST again.
    posted.method, posted._post, posted._files = "POST", post, MultiValueDict()
    for name, value in flags.items():
        setattr(posted, name, value)
    return posted


def draft_stamp(draft):
    """Which save of the draft a form holds: a form loaded from it posts this back."""
    return f"{draft.pk}:{draft.saved.isoformat()}"


def draft_label(draft):
    author = draft.author.get_username() if draft.author else "someone"
    return f"{author} at {localtime(draft.saved):%Y-%m-%d %H:%M}"


class EraDraftMixin:
    """The era's admin with Save draft, Edit the draft, Preview, Publish and Discard. First in
    the admin's bases: its trial saves wrap VersionAdmin's revision block, so a rolled-back
    save leaves no revision either."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST" and SAVE_DRAFT in request.POST:
            return self._save_draft(request, object_id, form_url, extra_context)
        if request.method == "GET" and request.GET.get("draft") == "edit":
            return self._edit_draft(request, object_id, form_url, extra_context)
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and FROM_DRAFT in request.POST and response.status_code == 302:
            # Published from the form that held it; a draft saved since is someone's newer work.
            drafts = EraDraft.objects.filter(era_id=unquote(object_id))
            for draft in drafts:
                if draft_stamp(draft) == request.POST[FROM_DRAFT]:
                    draft.delete()
        return response

    def _trial(self, request, object_id, form_url, extra_context=None):
        """The admin's save of `request` in a transaction rolled back: (response, saved)."""
        request.draft_trial = True
        try:
            with transaction.atomic(using=router.db_for_write(Era)):
                response = super().change_view(request, object_id, form_url, extra_context)
                if hasattr(response, "render"):
                    response.render()  # from the rows as they are inside the transaction
                transaction.set_rollback(True)
        finally:
            request.draft_trial = False
        return response, response.status_code == 302

    def _save_draft(self, request, object_id, form_url, extra_context):
        era = get_object_or_404(Era, pk=unquote(object_id))
        if not self.has_change_permission(request, era):
            raise PermissionDenied
        waiting = EraDraft.objects.filter(era=era).select_related("author").first()
        if waiting is not None and request.POST.get(FROM_DRAFT) != draft_stamp(waiting):
            # Not a form loaded from the waiting draft (or the draft was saved again since):
            # replacing it would lose another draft silently.
            messages.error(
                request,
                f"Not saved: a draft saved by {draft_label(waiting)} is waiting, and this form "
                "does not hold it. Your edits are still below; edit that draft, publish it or "
                "discard it first.",
            )
            request.draft_loading = True
        response, saved = self._trial(request, object_id, form_url, extra_context)
        if not saved:
            return response  # the form with its errors, or the conflict, as a save shows it
        data = [[k, v] for k, vs in request.POST.lists() if k not in NOT_FORM_DATA for v in vs]
        EraDraft.objects.update_or_create(era=era, defaults={"data": data, "author": request.user})
        self.message_user(
            request,
            "Draft saved. The published version is unchanged on the site and in every deck "
            "until the draft is published.",
            messages.SUCCESS,
        )
        return redirect(f"{self._change_url(era)}?draft=edit")

    def _edit_draft(self, request, object_id, form_url, extra_context):
        """The change form holding the draft's values (and its errors, if it no longer saves),
        based on the version the draft was: a save from it is checked as the draft's."""
        draft = get_object_or_404(EraDraft, era_id=unquote(object_id))
        trial = posting(request, draft, draft_loading=True, from_draft=draft_stamp(draft))
        response, _ = self._trial(trial, object_id, form_url, extra_context)
        return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not getattr(request, "draft_loading", False):
            return form

        class DraftForm(form):
            def is_valid(self):
                super().is_valid()  # shows the draft's errors, if any, and never saves
                return False

        return DraftForm

    def message_user(self, request, *args, **kwargs):
        if not getattr(request, "draft_trial", False):
            super().message_user(request, *args, **kwargs)

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        draft = getattr(request, "publishing_draft", None)
        if draft is not None and reversion.is_active():
            reversion.set_comment(
                f"Published the draft saved by {draft_label(draft)}. {entry.get_change_message()}"
            )
        return entry

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Not on a revert page: its form reverts, whatever a draft holds.
        if change and obj is not None and not context.get("revert"):
            context["era_draft"] = EraDraft.objects.filter(era=obj).select_related("author").first()
        context["from_draft"] = getattr(request, "from_draft", None)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        def page(view, name, post=False):
            view = admin_page(self, view)
            return path(
                f"<path:object_id>/draft/{name}",
                require_POST(view) if post else view,
                name=f"timeline_era_draft_{name.strip('/').replace('/', '_') or 'page'}",
            )

        return [
            page(draft_preview_view, "preview/"),
            page(draft_preview_view, "preview/deck/"),
            page(draft_publish_view, "publish/", post=True),
            page(draft_discard_view, "discard/", post=True),
            *super().get_urls(),
        ]

    def _change_url(self, era):
        return reverse("admin:timeline_era_change", args=[era.pk])

    def apply_draft(self, request, draft, **flags):
        """The admin's save of `draft` as `request.user`: the change view's response."""
        applied = posting(request, draft, **flags)
        url = self._change_url(draft.era)
        return super().change_view(applied, str(draft.era_id), url)


def _draft(request, object_id, model_admin, permission):
    draft = get_object_or_404(EraDraft.objects.select_related("era", "author"), era_id=object_id)
    if not permission(request, draft.era):
        raise PermissionDenied
    return draft


def draft_preview_view(request, object_id, model_admin):
    """The era page, or the era's deck (its print view: every slide on one page), as the
    draft would make them; rendered in a transaction rolled back, never cached."""
    # Applying the draft is the admin's save: it takes change permission, as saving it does.
    draft = _draft(request, object_id, model_admin, model_admin.has_change_permission)
    deck = request.path.rstrip("/").endswith("/deck")
    with transaction.atomic(using=router.db_for_write(Era)):
        applied = model_admin.apply_draft(request, draft, draft_trial=True)
        if applied.status_code != 302:
            transaction.set_rollback(True)
            messages.error(request, "The draft does not save as it is: here it is, to fix.")
            return redirect(f"{model_admin._change_url(draft.era)}?draft=edit")
        slug = Era.objects.values_list("slug", flat=True).get(pk=draft.era_id)
        view_request = copy.copy(request)
        view_request.GET = QueryDict()
        if deck:
            response = present_era(view_request, slug, mode="print")
        else:
            response = era_detail(view_request, slug)
        transaction.set_rollback(True)
    notice = format_html(
        '<p class="draft-preview-notice" role="status"><strong>Draft preview</strong>, saved by '
        '{}: not published. <a href="{}">Back to the era in the admin</a></p>',
        draft_label(draft),
        model_admin._change_url(draft.era),
    )
    # Said on the page itself, so a screenshot of the preview is never taken for the live one.
    response.content = BODY_TAG.sub(lambda m: m.group(0) + notice, response.content.decode(), 1)
    return keep_private(request, response, private=True)


def draft_publish_view(request, object_id, model_admin):
    draft = _draft(request, object_id, model_admin, model_admin.has_change_permission)
    response = model_admin.apply_draft(
        request, draft, publishing_draft=draft, from_draft=draft_stamp(draft)
    )
    if response.status_code == 302:
        draft.delete()
        return redirect(model_admin._change_url(draft.era))
    return response  # refused (a conflict, or errors): the draft's form, to resolve and save


def draft_discard_view(request, object_id, model_admin):
    draft = _draft(request, object_id, model_admin, model_admin.has_change_permission)
    draft.delete()
    messages.success(request, "Draft discarded; the published version is as it was.")
    return redirect(model_admin._change_url(draft.era))
