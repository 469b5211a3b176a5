"""Tests that kill the mutants a review found surviving: each pins one behaviour that a small,
realistic bug would change while every other test still passed."""

import os
from contextlib import suppress

import pytest
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.urls import reverse

from historyweb import page_cache
from historyweb.models import ContentVersion
from timeline.runner import record
from timeline.runner.result import RunResult

from .factories import make_era, make_sample, make_slide, make_talk

pytestmark = pytest.mark.django_db

# The whole policy, directive by directive: dropping or loosening any one of them fails.
EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def csp(response):
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


def test_the_csp_is_exactly_the_strict_policy(client):
    era = make_era(slug="wsgi")
    for url in ("/", era.get_absolute_url(), reverse("timeline:present")):
        assert csp(client.get(url)) == EXPECTED_CSP, url


@pytest.fixture
def member(django_user_model):
    """Signed in, but not staff: sees exactly what an anonymous visitor sees."""
    client = Client()
    client.force_login(django_user_model.objects.create_user("reader", password="pw"))
    return client


@pytest.fixture
def hidden_era():
    era = make_era(slug="draft", title="Draft era", published=False)
    slide = make_slide(era, title="Secret slide")
    make_sample(era, slide=slide, runtime="python", code="print('x')\n")
    make_talk([era], slug="drafts")
    return era


def test_a_signed_in_non_staff_user_never_sees_unpublished_eras(client, member, hidden_era):
    sample = hidden_era.samples.get()
    for visitor in (client, member):
        assert visitor.get(hidden_era.get_absolute_url()).status_code == 404
        assert visitor.get(reverse("timeline:present-era", args=["draft"])).status_code == 404
        assert visitor.get(reverse("timeline:sample-run", args=[sample.pk])).status_code == 404
        for url in ("/", "/?q=draft", reverse("timeline:present"), "/talks/drafts/present/"):
            assert "Draft era" not in visitor.get(url).content.decode(), url


def test_staff_do_see_unpublished_eras(admin_client_logged, hidden_era):
    assert admin_client_logged.get(hidden_era.get_absolute_url()).status_code == 200
    assert "Draft era" in admin_client_logged.get("/").content.decode()


@pytest.mark.parametrize(
    "output",
    [
        "hello\nworld\nand more\n",  # starts with the expected output
        "  hello\nworld\n",  # differs only in leading whitespace
        "hello\nworld  \n",  # differs only in trailing whitespace on a line
        "hello\n\nworld\n",  # an extra blank line inside
        "Hello\nworld\n",  # case
    ],
)
def test_check_samples_compares_exactly(output):
    sample = make_sample(make_era(), runtime="python", expected_output="hello\nworld\n")
    result = RunResult(runtime="python", ok=True, output=output)
    assert record.difference(sample, result) != ""


def test_check_samples_ignores_only_line_ends_and_the_final_newline():
    sample = make_sample(make_era(), runtime="python", expected_output="hello\nworld\n")
    for output in ("hello\nworld", "hello\r\nworld\r\n", "hello\nworld\n\n"):
        assert record.difference(sample, RunResult("python", True, output=output)) == "", output


def test_a_content_change_reaches_other_workers_when_it_commits(
    django_capture_on_commit_callbacks,
):
    """A page rendered from the old rows between the save and the commit must not be kept under
    the new version: until the commit, the new version is seen only by the thread whose
    transaction made it (the cache, which the other workers read, still holds the old one)."""
    before = page_cache.content_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            make_era(slug="fresh")
            during = page_cache.content_version()
            assert caches["pages"].get(page_cache.VERSION_KEY) == before
            make_era(slug="fresher")  # a later change in the same transaction moves it again
            last = page_cache.content_version()
    assert before < during < last
    assert page_cache.content_version() == last == caches["pages"].get(page_cache.VERSION_KEY)
    assert ContentVersion.objects.get().number == last
    assert len(callbacks) == 1  # one publish per transaction


def test_a_change_rolled_back_leaves_the_version(django_capture_on_commit_callbacks):
    before = page_cache.content_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            with suppress(RuntimeError), transaction.atomic():
                make_era(slug="gone")
                assert page_cache.content_version() != before
                raise RuntimeError("the admin's save failed")
            assert page_cache.content_version() == before
    assert callbacks == []
    assert page_cache.content_version() == before == ContentVersion.objects.get().number


# -- the sandbox, as the kernel sees it --------------------------------------------------------


def mount_options(mountinfo):
    """{mount point: per-mount options} from /proc/self/mountinfo."""
    mounts = {}
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 5:
            mounts[fields[4]] = set(fields[5].split(","))
    return mounts


def test_system_and_interpreter_mounts_are_read_only_in_the_mount_table(sandbox):
    """Not "a write was refused" (a uid without rights is refused too), but each bind mount
    itself is read-only, as the kernel lists it."""
    from timeline.runner.bwrap import SYSTEM_DIRS, python_roots
    from timeline.runner.config import get_config
    from timeline.runner.service import run_code

    result = run_code("python", "print(open('/proc/self/mountinfo').read())\n")
    assert result.ok, result.error
    mounts = mount_options(result.output)
    bound = [d for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    bound += [str(root) for root in python_roots(get_config().python)]
    assert bound
    for path in bound:
        assert path in mounts, (path, sorted(mounts))
        assert "ro" in mounts[path], (path, mounts[path])
    assert "rw" in mounts["/tmp"]  # the one writable place, a private tmpfs


@pytest.mark.parametrize(
    "code",
    ["while True:\n    pass\n", "import time\ntime.sleep(60)\n"],
    ids=["spins", "sleeps"],
)
def test_a_timed_out_run_is_stopped_at_the_deadline(sandbox, code):
    """Within a small bound of the wall clock, whether the code burns CPU or only sleeps (the CPU
    limit would never stop a sleeper)."""
    from timeline.runner.service import run_code

    sandbox.RUNNER_TIMEOUT = 1
    result = run_code("python", code)
    assert not result.ok
    assert result.outcome == "timeout"
    # Stopped at the deadline, not when the code would end (never, or after 60 s): the bound is
    # loose because a loaded machine delays the kill; the overshoot is measured in the benches.
    limit_ms = sandbox.RUNNER_TIMEOUT * 1000
    assert limit_ms <= result.duration_ms < limit_ms + 5000, result.duration_ms
