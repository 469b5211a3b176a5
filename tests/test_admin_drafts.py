"""Drafts of a published era: saved apart from the live rows, previewed by staff, published as
a checked save of the page the draft was made from."""

import filecmp
import html

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from historyweb.content_version import content_version
from historyweb.models import ContentVersion
from timeline.models import Era, EraDraft

from .factories import generate_eras, make_era, make_slide
from .form_post import editors, opened, post_pairs, set_values
from .test_admin_queries import count_queries

pytestmark = pytest.mark.django_db

DRAFT = ("_save_draft", "Save draft")
DRAFT_BODY = "A drafted body, not yet live."


@pytest.fixture
def two(django_user_model):
    return editors(django_user_model, "alice", "bob")


@pytest.fixture
def era():
    era = make_era(title="WSGI", slug="wsgi", published=True)
    make_slide(era, title="A", body="First body.\n")
    make_slide(era, title="B", body="Second body.\n")
    return era


def change_url(era):
    return reverse("admin:timeline_era_change", args=[era.pk])


def draft_url(era, name):
    return reverse(f"admin:timeline_era_draft_{name}", args=[era.pk])


def as_draft(pairs):
    return [pair for pair in pairs if pair[0] != "_save"] + [DRAFT]


def drafted(values):
    """The editor's edits, submitted with Save draft."""
    return lambda pairs: as_draft(set_values(values)(pairs))


def text(response):
    return html.unescape(response.content.decode())


def public_pages(era):
    anonymous = Client()
    return [
        text(anonymous.get(url))
        for url in (
            reverse("timeline:era", args=[era.slug]),
            reverse("timeline:present-era-print", args=[era.slug]),
        )
    ]


def bodies(era):
    return list(era.slides.order_by("order").values_list("body", flat=True))


def save_draft(client, era, values):
    pairs = opened(client, change_url(era), "era_form", drafted(values))
    return post_pairs(client, change_url(era), pairs)


@pytest.mark.django_db(transaction=True)
def test_a_draft_leaves_the_live_rows_pages_and_content_version_as_they_were(two, era):
    """Committed, as in production: the era is live before the draft is saved."""
    alice, _ = two
    before_pages = public_pages(era)
    assert "Second body." in before_pages[0] and "Second body." in before_pages[1]
    version = content_version()
    stored = ContentVersion.objects.get(pk=1).number
    revisions = Version.objects.count()
    response = save_draft(alice, era, {"slides-1-body": DRAFT_BODY, "title": "WSGI drafted"})
    assert response.status_code == 302, text(response)[:3000]
    assert bodies(era) == ["First body.\n", "Second body.\n"]
    assert Era.objects.get(pk=era.pk).title == "WSGI"
    assert ContentVersion.objects.get(pk=1).number == stored
    assert content_version() == version
    assert Version.objects.count() == revisions  # no revision, not even the first state
    assert public_pages(era) == before_pages
    draft = EraDraft.objects.get(era=era)
    assert draft.author.username == "alice"
    assert ["slides-1-body", DRAFT_BODY] in draft.data
    page = text(alice.get(change_url(era)))
    assert "A draft is waiting: saved by alice" in page
    assert "Second body." in page and DRAFT_BODY not in page  # the form shows what is live


def test_a_draft_that_would_not_save_is_refused_with_the_forms_errors(two, era):
    alice, _ = two
    response = save_draft(alice, era, {"slug": "Not A Slug", "title": "Kept"})
    assert response.status_code == 200
    assert "Please correct" in text(response) and 'value="Kept"' in text(response)
    assert not EraDraft.objects.exists()


def test_staff_preview_shows_the_draft_and_the_public_pages_do_not(two, era, client):
    alice, _ = two
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    for name in ("preview", "preview_deck"):
        response = alice.get(draft_url(era, name))
        assert response.status_code == 200
        assert DRAFT_BODY in text(response) and "Second body." not in text(response)
        assert "Draft preview</strong>, saved by alice" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        # Not staff: the admin's login, never the draft.
        assert client.get(draft_url(era, name)).status_code == 302
    assert bodies(era) == ["First body.\n", "Second body.\n"]
    assert all(DRAFT_BODY not in page for page in public_pages(era))


def test_publish_makes_the_draft_live_as_a_revision_naming_its_author(two, era):
    alice, bob = two
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    response = bob.post(draft_url(era, "publish"))
    assert response.status_code == 302, text(response)[:3000]
    assert bodies(era) == ["First body.\n", DRAFT_BODY + "\n"]
    assert not EraDraft.objects.exists()
    newest = Version.objects.get_for_object(era).order_by("-revision__date_created").first()
    assert newest.revision.user.username == "bob"
    assert newest.revision.get_comment().startswith("Published the draft saved by alice")
    assert all(DRAFT_BODY in page for page in public_pages(era))
    history = text(bob.get(reverse("admin:timeline_era_history", args=[era.pk])))
    assert "Published the draft saved by alice" in history


def test_a_stale_draft_is_refused_with_the_conflict_and_kept(two, era):
    """Alice drafts slide B; Bob then saves slide B: publishing Alice's draft shows the
    conflict as a stale save would, Bob's text stays live and the draft stays."""
    alice, bob = two
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    pairs = opened(bob, change_url(era), "era_form", set_values({"slides-1-body": "Bob's."}))
    assert post_pairs(bob, change_url(era), pairs).status_code == 302
    response = alice.post(draft_url(era, "publish"))
    assert response.status_code == 200
    page = text(response)
    assert "bob" in page and "Bob's." in page and DRAFT_BODY in page
    assert 'name="_from_draft"' in page
    assert bodies(era) == ["First body.\n", "Bob's.\n"]
    assert EraDraft.objects.filter(era=era).exists()


def test_edit_the_draft_loads_it_and_save_publishes_it(two, era):
    alice, _ = two
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    url = change_url(era) + "?draft=edit"
    page = alice.get(url)
    assert DRAFT_BODY in text(page) and "Please correct" not in text(page)
    assert bodies(era) == ["First body.\n", "Second body.\n"]
    pairs = opened(alice, url, "era_form", set_values({"title": "WSGI, edited draft"}))
    assert post_pairs(alice, change_url(era), pairs).status_code == 302
    assert bodies(era) == ["First body.\n", DRAFT_BODY + "\n"]
    assert Era.objects.get(pk=era.pk).title == "WSGI, edited draft"
    assert not EraDraft.objects.exists()


def test_discard_drops_the_draft_only(two, era):
    alice, _ = two
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    assert alice.post(draft_url(era, "discard")).status_code == 302
    assert not EraDraft.objects.exists()
    assert bodies(era) == ["First body.\n", "Second body.\n"]


def test_a_viewer_can_neither_save_nor_publish_nor_discard_a_draft(two, era, django_user_model):
    alice, _ = two
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(viewer)
    pairs = opened(alice, change_url(era), "era_form", drafted({"slides-1-body": "Viewer's."}))
    assert post_pairs(client, change_url(era), pairs).status_code == 403
    assert not EraDraft.objects.exists()
    assert "Save draft" not in text(client.get(change_url(era)))
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    assert client.post(draft_url(era, "publish")).status_code == 403
    assert client.post(draft_url(era, "discard")).status_code == 403
    assert EraDraft.objects.exists() and bodies(era)[1] == "Second body.\n"
    assert client.get(draft_url(era, "preview")).status_code == 403


def test_dump_history_does_not_export_a_draft(two, era, tmp_path):
    alice, _ = two
    call_command("dump_history", dir=str(tmp_path / "before"), verbosity=0)
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    call_command("dump_history", dir=str(tmp_path / "after"), verbosity=0)
    before = tmp_path / "before"
    names = sorted(str(p.relative_to(before)) for p in before.rglob("*.json"))
    assert names == sorted(
        str(p.relative_to(tmp_path / "after")) for p in (tmp_path / "after").rglob("*.json")
    )
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "before", tmp_path / "after", names, shallow=False
    )
    assert names and (mismatch, errors) == ([], [])
    assert DRAFT_BODY not in "".join(p.read_text() for p in tmp_path.rglob("*.json"))


def test_the_era_pages_cost_the_same_with_a_draft_at_30_and_500_eras(admin_client_logged):
    """The change page (with its draft banner), the form loaded from the draft and the draft's
    previews: each as many queries at 500 eras as at 30."""
    era = generate_eras(30)[0]
    pairs = opened(admin_client_logged, change_url(era), "era_form", drafted({"title": "D"}))
    assert post_pairs(admin_client_logged, change_url(era), pairs).status_code == 302
    pages = {
        "change": change_url(era),
        "edit the draft": change_url(era) + "?draft=edit",
        "preview": draft_url(era, "preview"),
        "preview deck": draft_url(era, "preview_deck"),
        "history": reverse("admin:timeline_era_history", args=[era.pk]),
    }
    count_queries(admin_client_logged, pages)  # fills the content-type and session caches
    at_30 = count_queries(admin_client_logged, pages)
    generate_eras(470)
    at_500 = count_queries(admin_client_logged, pages)
    assert Era.objects.count() == 500
    assert at_500 == at_30
    assert at_500["change"] <= 16, at_500
    assert "A draft is waiting" in text(admin_client_logged.get(change_url(era)))


def test_a_draft_from_a_form_that_does_not_hold_the_waiting_one_is_refused(two, era):
    """Bob opened the published page, Alice then saved a draft: Bob's Save draft would replace
    hers silently, so it is refused with his edits kept; from the form holding her draft, he
    may save it again."""
    alice, bob = two
    bobs = opened(bob, change_url(era), "era_form", drafted({"title": "Bob's title"}))
    save_draft(alice, era, {"slides-1-body": DRAFT_BODY})
    response = post_pairs(bob, change_url(era), bobs)
    assert response.status_code == 200
    assert "a draft saved by alice" in text(response) and 'value="Bob&#x27;s title"' in (
        response.content.decode()
    )
    assert EraDraft.objects.get().author.username == "alice"
    url = change_url(era) + "?draft=edit"
    pairs = opened(bob, url, "era_form", drafted({"title": "Bob's title"}))
    assert post_pairs(bob, change_url(era), pairs).status_code == 302
    draft = EraDraft.objects.get()
    assert draft.author.username == "bob"
    assert ["slides-1-body", DRAFT_BODY] in draft.data and ["title", "Bob's title"] in draft.data


def test_the_revert_form_offers_no_save_draft(two, era):
    """A revert page's form posts to the revert: a Save draft there would revert for real."""
    alice, _ = two
    pairs = opened(alice, change_url(era), "era_form", set_values({"title": "Saved once"}))
    assert post_pairs(alice, change_url(era), pairs).status_code == 302
    assert 'name="_save_draft"' in alice.get(change_url(era)).content.decode()
    version = Version.objects.get_for_object(era).first()
    page = alice.get(reverse("admin:timeline_era_revision", args=[era.pk, version.pk]))
    assert page.status_code == 200 and 'name="_save_draft"' not in page.content.decode()
