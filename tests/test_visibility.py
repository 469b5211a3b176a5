"""Who sees an unpublished era: staff only. A signed-in reader who is not staff sees exactly what
an anonymous visitor sees, on every page that lists or shows eras; staff previews are never
cached by anyone else."""

import pytest
from django.test import Client

from timeline.models import Era, EraRelation, Exercise

from .factories import make_era, make_exercise, make_sample, make_slide, make_talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("reader", password="pw"))
    return client


@pytest.fixture
def eras():
    """A published era that links to, and shares a talk with, an unpublished one."""
    shown = make_era(slug="shown", title="Shown era", year=2001)
    hidden = make_era(slug="draft", title="Draft era", year=2002, published=False)
    for era in (shown, hidden):
        slide = make_slide(era, title=f"{era.title} slide")
        make_sample(era, slide=slide, title=f"{era.title} hello", evolution=True)
        make_exercise(era, slug=f"{era.slug}-exercise", title=f"{era.title} exercise")
    EraRelation.objects.create(era=shown, other=hidden, kind=EraRelation.Kind.BUILT_ON)
    make_talk([shown, hidden], slug="both")
    return shown, hidden


def directives(response):
    """Cache-Control's directives exactly ("private=None" is not "private")."""
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


PAGES = [
    "/",
    "/?q=era",
    "/eras/shown/",
    "/evolution/",
    "/exercises/",
    "/present/",
    "/talks/",
    "/talks/both/present/",
]


@pytest.mark.parametrize("url", PAGES)
def test_readers_see_only_published_eras_and_staff_see_all(
    client, member, admin_client_logged, eras, url
):
    for visitor in (client, member):
        html = visitor.get(url).content.decode()
        assert "Shown era" in html and "Draft era" not in html, url
    assert "Draft era" in admin_client_logged.get(url).content.decode(), url


@pytest.mark.parametrize("url", ["/eras/draft/", "/exercises/draft-exercise/", "/present/draft/"])
def test_an_unpublished_eras_own_pages_are_404_to_readers_and_private_to_staff(
    client, member, admin_client_logged, eras, url
):
    for visitor in (client, member):
        assert visitor.get(url).status_code == 404, url
    response = admin_client_logged.get(url)
    assert response.status_code == 200, url
    assert {"private", "no-store"} <= directives(response)


def test_published_pages_are_private_for_staff_only(client, member, admin_client_logged, eras):
    """Staff pages may show drafts: no shared cache may keep them. Readers' pages may be."""
    assert {"private", "no-store"} <= directives(admin_client_logged.get("/"))
    for visitor in (client, member):
        assert "private" not in directives(visitor.get("/"))
        assert "private" not in directives(visitor.get("/eras/shown/"))


def test_visible_to_is_the_one_rule(django_user_model, eras):
    """The querysets every view uses, for each kind of user."""
    member = django_user_model.objects.create_user("m", password="pw")
    staff = django_user_model.objects.create_user("s", password="pw", is_staff=True)
    from django.contrib.auth.models import AnonymousUser

    for user, slugs in (
        (AnonymousUser(), ["shown"]),
        (member, ["shown"]),
        (staff, ["draft", "shown"]),
    ):
        assert sorted(Era.objects.visible_to(user).values_list("slug", flat=True)) == slugs
        exercises = Exercise.objects.visible_to(user).values_list("era__slug", flat=True)
        assert sorted(exercises) == slugs
    assert list(Era.objects.published().values_list("slug", flat=True)) == ["shown"]
