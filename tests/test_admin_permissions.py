"""Permissions that hold everywhere in the admin.

A staff user who may only view is walked through every URL the admin site and each ModelAdmin
declare (collected from their get_urls, so a page added later is walked too) and through every
action each ModelAdmin has: whatever they GET or POST, nothing in the database changes and
nothing runs in the sandbox. Running and recording takes change permission on code samples,
and writes a revision of each era it changes.
"""

import re
from urllib.parse import urlencode

import pytest
import reversion
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, reverse
from reversion.models import Version

from timeline import health
from timeline.admin.views import runs as run_views
from timeline.models import CodeSample, Era, EraRelation, HealthCheck, Slide, TalkNote
from timeline.runner import record, service
from timeline.runner.result import Outcome, RunResult

from .factories import make_era, make_exercise, make_reference, make_sample, make_slide, make_talk
from .form_post import form_pairs, post_form

pytestmark = pytest.mark.django_db

# What a refused request must leave as it was: the content, its revisions, the admin's log
# (what History lists) and the users and their permissions.
WATCHED_APPS = ["timeline", "reversion", "admin", "auth"]

# The user's own session and password: any staff user may log out or change their password.
OWN_ACCOUNT = {"logout", "password_change"}

# POSTs to these pages change data (or run code) when allowed: a viewer must get 403.
CHANGING_PAGES = ("_change", "_add", "_delete", "_revision", "_recover", "_run", "_record")
CHANGING_PAGES += ("_export_fixtures",)


@pytest.fixture
def runs(monkeypatch):
    """Every way into the sandbox replaced by a stand-in that notes the run and "prints"
    recorded; returns the list of runs."""
    calls = []

    def ran(runtime, code, request_text="", **kwargs):
        calls.append((runtime, code))
        return RunResult(runtime=runtime, ok=True, output="recorded\n", outcome=Outcome.OK)

    def prepared(runtime, code, request_text=""):
        calls.append((runtime, code))
        return RunResult.refused(runtime, "No sandbox in this test.")

    monkeypatch.setattr(record, "run_code", ran)
    monkeypatch.setattr(run_views, "run_code", ran)
    monkeypatch.setattr(service, "prepare", prepared)
    return calls


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(django_user_model):
    return logged_in(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))


def staff(django_user_model, name, *codenames):
    user = django_user_model.objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return logged_in(user)


@pytest.fixture
def viewer(django_user_model):
    """Staff with every view permission and nothing else."""
    codenames = Permission.objects.filter(codename__startswith="view_").values_list(
        "codename", flat=True
    )
    return staff(django_user_model, "viewer", *codenames)


@pytest.fixture
def content(superuser):
    """One of everything, each saved once through its admin page (so each has revisions)."""
    era = make_era(slug="wsgi", title="WSGI")
    other = make_era(slug="asgi", title="ASGI")
    slide = make_slide(era)
    sample = make_sample(era, slide=slide, runtime="python", expected_output="old\n")
    make_reference(era)
    EraRelation.objects.create(era=other, other=era, kind=EraRelation.Kind.BUILT_ON)
    talk = make_talk([era, other])
    TalkNote.objects.create(talk=talk, slide=slide, notes="Say it this way.")
    exercise = make_exercise(era, checks=2)
    Group.objects.create(name="editors")
    health.record(HealthCheck.SLIDES, 1, [(slide, "WSGI: a slide", "At 390x844: cut")])
    for obj in (era, slide, sample, talk, exercise):
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        response = post_form(superuser, url, f"{opts.model_name}_form")
        assert response.status_code == 302, (url, response.content.decode()[:2000])
    return era


def snapshot():
    rows = {}
    for app in WATCHED_APPS:
        for model in apps.get_app_config(app).get_models():
            rows[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return rows


def registered_models():
    return [model for model in apps.get_models() if admin.site.is_registered(model)]


def admin_pages():
    """(URL name, model or None) of every named page of the admin site and its ModelAdmins.
    The unnamed ones are Django's redirects (an object's bare URL to its change page, and
    the catch-all to the login page)."""
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name and pattern.name not in OWN_ACCOUNT:
            yield pattern, None
    for model in registered_models():
        for pattern in admin.site.get_model_admin(model).get_urls():
            if pattern.name:
                yield pattern, model


def url_of(pattern, model, era):
    model = model or Era
    obj = model._default_manager.order_by("pk").first()
    versions = Version.objects.get_for_object(obj) if reversion.is_registered(model) else None
    version = (versions and versions.first()) or Version.objects.first()
    values = {
        "object_id": obj.pk,
        "pk": obj.pk,
        "id": obj.pk,
        "version_id": version.pk,
        "content_type_id": ContentType.objects.get_for_model(Era).pk,
        "app_label": "timeline",
    }
    regex = pattern.pattern.regex
    if regex.groupindex:
        kwargs = {name: values[name] for name in regex.groupindex}
        return reverse(f"admin:{pattern.name}", kwargs=kwargs)
    # reversion's patterns have unnamed groups: recover/<version>/, <object>/history/<version>/
    args = [obj.pk, version.pk][-regex.groups :] if regex.groups else []
    return reverse(f"admin:{pattern.name}", args=args)


def page_post_data(html):
    """Every control on the page, as one form would post them, with each title, summary,
    code and expected output changed: what a forged or replayed POST would send."""
    flat = re.sub(r"</?form\b[^>]*>", "", html)
    pairs = form_pairs(f'<form id="all">{flat}</form>', "all")
    changed = re.compile(r"(^|-)(title|summary|code|expected_output|notes|name)$")
    pairs = [(n, v + " (changed)" if changed.search(n) else v) for n, v in pairs]
    return pairs + [("post", "yes"), ("code", "print('changed')")]


def post(client, url, pairs):
    return client.post(url, urlencode(pairs), content_type="application/x-www-form-urlencoded")


def test_every_admin_page_changes_nothing_and_runs_nothing_for_a_viewer(
    content, django_user_model, viewer, runs
):
    pages = list(admin_pages())
    names = {pattern.name for pattern, _ in pages}
    # The walk reaches the pages that change things: ours and Django's and reversion's.
    for expected in ("timeline_era_export_fixtures", "timeline_codesample_record"):
        assert expected in names
    assert "timeline_era_revision" in names and "timeline_slide_delete" in names
    # The data a superuser's page would post, so that the viewer's POST is one that would
    # work; some pages answer the superuser's GET with an error (a recover page of an object
    # that exists), which is no concern here.
    root = Client(raise_request_exception=False)
    root.force_login(django_user_model.objects.get(username="root"))
    for pattern, model in pages:
        url = url_of(pattern, model, content)
        seen = root.get(url)
        html = seen.content.decode() if seen.status_code == 200 else ""
        before = snapshot()
        assert viewer.get(url).status_code != 500, url
        response = post(viewer, url, page_post_data(html))
        assert snapshot() == before, f"a viewer's POST to {url} changed data"
        assert runs == [], f"a viewer's POST to {url} ran code"
        if pattern.name.endswith(CHANGING_PAGES):
            assert response.status_code == 403, (url, response.status_code)


def test_the_previews_change_nothing_for_a_viewer(content, viewer, runs):
    slide = Slide.objects.get(era=content)
    before = snapshot()
    data = {"text": "*hi*", "title": "T", "body": "B", "era": content.pk, "slide": slide.pk}
    for name in ("markdown-preview", "slide-preview"):
        assert viewer.post(reverse(f"timeline:{name}"), data).status_code == 200
    assert viewer.get(reverse("timeline:slide-preview-frame")).status_code == 200
    assert snapshot() == before and runs == []


def test_the_slide_preview_reads_only_what_the_user_may_view(content, django_user_model):
    """A staff user with no permission on slides gets no preview; one who may view slides but
    not samples sees the slide without the saved samples on it."""
    slide = Slide.objects.get(era=content)
    CodeSample.objects.filter(era=content).update(code="print('SECRET SAMPLE')\n")
    data = {"title": "T", "body": "B", "era": content.pk, "slide": slide.pk}
    url = reverse("timeline:slide-preview")
    nobody = staff(django_user_model, "nobody")
    assert nobody.post(url, data).status_code == 403
    slides_only = staff(django_user_model, "slides", "view_slide")
    answer = slides_only.post(url, data)
    assert answer.status_code == 200 and "SECRET" not in answer.json()["html"]
    both = staff(django_user_model, "both", "view_slide", "view_codesample")
    assert "SECRET" in both.post(url, data).json()["html"]


def every_action():
    """(model, action name) for each action of each ModelAdmin, the site's own included."""
    for model in registered_models():
        model_admin = admin.site.get_model_admin(model)
        if model_admin.actions is None:  # Django's way to offer none, the site's own included
            continue
        names = [name for name, _ in admin.site.actions]
        names += [a if isinstance(a, str) else a.__name__ for a in model_admin.actions or ()]
        for name in dict.fromkeys(names):
            yield model, name


def offered(client, model):
    opts = model._meta
    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert page.status_code == 200
    form = page.context["action_form"]
    return set() if form is None else {value for value, _ in form.fields["action"].choices}


def test_no_action_is_offered_to_or_run_for_a_viewer(content, superuser, viewer, runs):
    actions = list(every_action())
    assert (Era, "run_and_record") in actions and (CodeSample, "run_and_record") in actions
    for model, name in actions:
        assert name in offered(superuser, model), (model, name)
        assert name not in offered(viewer, model), (model, name)
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        everything = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
        before = snapshot()
        data = {"action": name, "_selected_action": everything, "index": "0", "post": "yes"}
        viewer.post(url, data)
        assert snapshot() == before, f"{name} on {opts.model_name} changed data for a viewer"
        assert runs == [], f"{name} on {opts.model_name} ran code for a viewer"


def test_running_and_recording_takes_change_permission_on_samples(django_user_model, content):
    """Change on eras alone does not offer the eras' action (it rewrites samples); change on
    samples alone offers the samples' action but not the eras'."""
    eras_only = staff(django_user_model, "eras", "view_era", "change_era", "view_codesample")
    assert "run_and_record" not in offered(eras_only, Era)
    samples_only = staff(django_user_model, "samples", "view_era", "change_codesample")
    assert "run_and_record" not in offered(samples_only, Era)
    assert "run_and_record" in offered(samples_only, CodeSample)
    both = staff(django_user_model, "both", "change_era", "change_codesample")
    assert "run_and_record" in offered(both, Era)


def in_revision(revision, obj):
    """The fields `revision` holds for `obj`."""
    (version,) = revision.version_set.get_for_object(obj)
    return version.field_dict


def test_run_and_record_writes_a_revision_of_each_era_it_changes(superuser, runs):
    """One revision per era, by the user, naming the samples; History lists it, and reverting
    to the revision before brings the old output back."""
    first, second, untouched = make_era(), make_era(), make_era()
    a = make_sample(first, runtime="python", title="Alpha", expected_output="old\n")
    b = make_sample(second, runtime="python", title="Beta", expected_output="old\n")
    make_sample(second, runtime="none", title="Prose", code="not code")
    make_sample(untouched, runtime="python", title="Gamma", expected_output="old\n")
    url = reverse("admin:timeline_era_changelist")
    chosen = [str(first.pk), str(second.pk)]
    response = superuser.post(url, {"action": "run_and_record", "_selected_action": chosen})
    assert response.status_code == 302
    assert len(runs) == 2
    for era, sample in ((first, a), (second, b)):
        sample.refresh_from_db()
        assert sample.expected_output == "recorded\n"
        versions = Version.objects.get_for_object(era).order_by("-revision__date_created")
        latest, before = versions[0].revision, versions[1].revision
        assert latest.user.username == "root"
        assert f"“{sample.title}”" in latest.get_comment() and "Prose" not in latest.get_comment()
        assert in_revision(latest, sample)["expected_output"] == "recorded\n"
        # The state before the recording is a revision too, so it can be reverted to.
        assert in_revision(before, sample)["expected_output"] == "old\n"
        history = superuser.get(reverse("admin:timeline_era_history", args=[era.pk]))
        assert f"“{sample.title}”" in history.content.decode()
    assert not Version.objects.get_for_object(untouched).exists()
    # The revisions are each era's own: none holds another era's samples.
    for version in Version.objects.get_for_object(first):
        assert not version.revision.version_set.get_for_object(b).exists()


def test_the_samples_action_writes_a_revision_of_their_era(superuser, runs):
    era = make_era()
    sample = make_sample(era, runtime="python", title="Alpha", expected_output="old\n")
    url = reverse("admin:timeline_codesample_changelist")
    superuser.post(url, {"action": "run_and_record", "_selected_action": [str(sample.pk)]})
    latest = Version.objects.get_for_object(era).order_by("-revision__date_created")[0]
    assert "“Alpha”" in latest.revision.get_comment()


def test_a_viewer_cannot_open_a_revision_to_revert_and_is_not_offered_to(content, viewer):
    version = Version.objects.get_for_object(content).first()
    url = reverse("admin:timeline_era_revision", args=[content.pk, version.pk])
    assert viewer.get(url).status_code == 403
    history = viewer.get(reverse("admin:timeline_era_history", args=[content.pk]))
    assert history.status_code == 200 and url not in history.content.decode()
    versions = Version.objects.get_for_object(content).order_by("pk")
    compare = viewer.get(
        reverse("admin:timeline_era_compare", args=[content.pk]),
        {"older": versions[0].pk, "newer": versions[1].pk},
    )
    assert (
        compare.status_code == 200
        and "Revert to the older revision" not in compare.content.decode()
    )


def test_export_stays_superuser_only(content, django_user_model, superuser, settings, tmp_path):
    editor = staff(
        django_user_model,
        "editor",
        *Permission.objects.values_list("codename", flat=True),
    )
    url = reverse("admin:timeline_era_export_fixtures")
    assert editor.get(url).status_code == 403
    assert editor.post(url, {"digest": "x"}).status_code == 403
    changelist = editor.get(reverse("admin:timeline_era_changelist")).content.decode()
    assert url not in changelist
    assert url in superuser.get(reverse("admin:timeline_era_changelist")).content.decode()
