"""The fixtures export, previewed as unified diffs before it writes.

Exporting writes the database back to fixtures/ so that an edit can be committed; the
preview shows which files it would change, and how, before a superuser confirms it.
"""

import hashlib
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from ... import history_fixtures
from ...diffs import diff_lines
from ...models import Era


def export_changes():
    """What an export would do to fixtures/: [(name, status, diff lines)] and a digest of the
    files it would write, so the write can refuse if the database changed since the preview."""
    target = history_fixtures.fixtures_dir()
    with tempfile.TemporaryDirectory() as scratch:
        written = history_fixtures.dump(scratch)
        digest = hashlib.sha256()
        changes = []
        new_names = set()
        for path in sorted(written):
            name = str(path.relative_to(scratch))
            new_names.add(name)
            text = path.read_text(encoding="utf-8")
            digest.update(name.encode() + b"\0" + text.encode() + b"\0")
            current = target / name
            old = current.read_text(encoding="utf-8") if current.exists() else ""
            if old != text:
                status = "changed" if current.exists() else "new"
                changes.append((name, status, diff_lines(old, text, f"a/{name}", f"b/{name}")))
    era_dir = target / history_fixtures.ERA_DIR
    for stale in sorted(era_dir.glob("*.json")) if era_dir.exists() else []:
        name = str(Path(history_fixtures.ERA_DIR) / stale.name)
        if name not in new_names:
            old = stale.read_text(encoding="utf-8")
            changes.append((name, "removed", diff_lines(old, "", f"a/{name}", "/dev/null")))
    return changes, digest.hexdigest()


def export_view(request, model_admin):
    """GET: the files an export would change, with diffs. POST: write them (superusers only),
    unless the database changed since the preview that was confirmed."""
    if not request.user.is_superuser:
        raise PermissionDenied("Only a superuser may write the fixtures.")
    changes, digest = export_changes()
    if request.method == "POST":
        if request.POST.get("digest") != digest:
            messages.warning(request, "The content changed since this preview: check it again.")
        else:
            return _write(request, model_admin)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Export to fixtures",
        "opts": Era._meta,
        "changes": changes,
        "digest": digest,
        "folder": history_fixtures.fixtures_dir(),
    }
    return TemplateResponse(request, "admin/timeline/era/export_preview.html", context)


def _write(request, model_admin):
    try:
        written = history_fixtures.dump()
    except OSError as exc:
        model_admin.message_user(request, f"Nothing exported: {exc}", messages.ERROR)
    else:
        folder = history_fixtures.fixtures_dir()
        model_admin.message_user(
            request,
            f"Exported {len(written)} files to {folder}. Review them with `git diff fixtures/` "
            "and commit.",
            messages.SUCCESS,
        )
    return redirect(reverse("admin:timeline_era_changelist"))
