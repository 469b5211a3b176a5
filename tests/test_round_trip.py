"""Saving unchanged content through the admin, as a browser posts it, changes no fixture byte."""

import filecmp

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from timeline.models import CodeSample, Era, Slide, Talk
from timeline.text import normalize_text

from .form_post import form_pairs, post_form

pytestmark = pytest.mark.django_db


def test_saving_every_era_and_talk_unchanged_keeps_the_fixtures_byte_identical(
    admin_client_logged, tmp_path
):
    """Load the fixtures, save every era (with its slides, samples and references) and every
    talk through the admin with CRLF line ends, dump: each file equals the committed one."""
    call_command("load_history", verbosity=0)
    pages = [
        reverse("admin:timeline_era_change", args=[pk])
        for pk in Era.objects.values_list("pk", flat=True)
    ]
    pages += [
        reverse("admin:timeline_talk_change", args=[pk])
        for pk in Talk.objects.values_list("pk", flat=True)
    ]
    sent = []
    for url in pages:
        form_id = "era_form" if "/era/" in url else "talk_form"
        response = post_form(
            admin_client_logged, url, form_id, change=lambda p: sent.extend(p) or p
        )
        assert response.status_code == 302, (url, response.content.decode()[:3000])
    assert sum("\r\n" in value for _, value in sent) > 200, "the posts carried no CRLF text"
    call_command("dump_history", dir=str(tmp_path), verbosity=0)
    committed = settings.HISTORY_FIXTURES_DIR
    names = sorted(p.relative_to(committed) for p in committed.rglob("*.json"))
    assert names == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    _, mismatch, errors = filecmp.cmpfiles(
        committed, tmp_path, [str(n) for n in names], shallow=False
    )
    assert (mismatch, errors) == ([], [])


def test_a_browser_post_stores_lf_and_one_final_newline(admin_client_logged):
    """CRLF text without a final newline, and with several, is stored with LF and exactly one."""
    from .factories import make_era, make_sample, make_slide

    era = make_era()
    make_slide(era, body="First line")
    make_sample(era, code="print(1)\n", request="GET / HTTP/1.1\nHost: x\n")
    url = reverse("admin:timeline_era_change", args=[era.pk])

    def edit(pairs):
        values = {
            "slides-0-body": "- one\r\n- two",
            "slides-0-notes": "Say it.\r\n\r\n\r\n",
            "samples-0-code": "def f():\r\n\treturn 1\r\n\r\n",
            "samples-0-request": "POST / HTTP/1.1\r\nHost: x\r\n\r\nname=Ada",
            "body": "\r\n",
        }
        return [(name, values.get(name, value)) for name, value in pairs]

    assert post_form(admin_client_logged, url, "era_form", change=edit).status_code == 302
    slide, sample = Slide.objects.get(era=era), CodeSample.objects.get(era=era)
    era.refresh_from_db()
    assert (slide.body, slide.notes, era.body) == ("- one\n- two\n", "Say it.\n", "")
    assert sample.code == "def f():\n\treturn 1\n"
    assert sample.request == "POST / HTTP/1.1\nHost: x\n\nname=Ada\n"
    assert sample.request_as_sent == "POST / HTTP/1.1\nHost: x\n\nname=Ada"


def test_form_pairs_reads_textareas_as_a_browser_does():
    """One newline after <textarea> is markup; entities are decoded; line ends become CRLF."""
    html = (
        '<form id="f"><textarea name="a">\n\nx &amp; y\n</textarea>'
        '<select name="s"><option value="1">one</option><option value="2" selected>two</option>'
        '</select><input type="checkbox" name="c"><input type="checkbox" name="d" checked>'
        '<input name="t" value="v" disabled></form>'
    )
    assert form_pairs(html, "f", submit=None) == [("a", "\r\nx & y\r\n"), ("s", "2"), ("d", "on")]


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("a\r\nb", "a\nb\n"),
        ("a\rb\n\n\n", "a\nb\n"),
        ("  indented\n", "  indented\n"),
        (" \r\n \n", ""),
        ("", ""),
    ],
)
def test_normalize_text(text, stored):
    assert normalize_text(text) == stored
    assert normalize_text(stored) == stored
