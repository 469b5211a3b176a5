"""A full disk under var/ (file caches, the content version, the rate counters) and the run work
directories: what needs the disk answers 503 and says why; pages are served uncached.

The disk is really full: a 1 MiB tmpfs is mounted for each test and filled. Mounting needs
root; without it (or where mounting is refused) these tests are skipped with the reason.
"""

import errno
import logging
import os
import subprocess
import tempfile

import pytest

from historyweb import content_version, page_cache, throttle
from historyweb.caches import cache_settings
from historyweb.errors import NO_ROOM_TO_RUN, disk_full
from timeline.runner import identity, service
from timeline.runner.config import get_config

pytestmark = pytest.mark.django_db


class Disk:
    def __init__(self, root):
        self.root = root

    def fill(self):
        """Write until no byte more fits."""
        fd = os.open(self.root / "ballast", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        with pytest.raises(OSError) as refused:
            (self.root / "one-more").write_bytes(b"x" * 4096)
        assert refused.value.errno == errno.ENOSPC
        (self.root / "one-more").unlink()


@pytest.fixture
def disk(tmp_path):
    """A 1 MiB filesystem of its own, unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("filling a small filesystem needs root, to mount a 1 MiB tmpfs")
    root = tmp_path / "var"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(root)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs to fill: {mounted.stderr.strip()}")
    try:
        yield Disk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=True)


@pytest.fixture
def var_on(disk, settings):
    """var/ on the small disk: file caches for every alias and the content-version file."""
    settings.CACHES = cache_settings(None, disk.root / "cache")
    settings.PAGE_CACHE_VERSION_FILE = disk.root / "content-version"
    for alias in ("pages", "rate"):
        (disk.root / "cache" / alias).mkdir(parents=True)
    yield disk
    content_version._stores.clear()


def test_pages_are_served_uncached_when_no_version_can_be_written(client, history, var_on, caplog):
    var_on.fill()
    with caplog.at_level(logging.WARNING, logger="historyweb"):
        for _ in range(2):
            response = client.get("/eras/wsgi/")
            assert response.status_code == 200
            assert "ETag" not in response  # rendered, not from a cache
    assert "The content version cannot be written" in caplog.text
    assert not (var_on.root / "content-version").exists()


def test_pages_are_served_when_the_cache_cannot_store_them(client, history, var_on, caplog):
    page_cache.content_version()  # the version file is written while there is room
    var_on.fill()
    with caplog.at_level(logging.WARNING, logger="historyweb"):
        response = client.get("/eras/wsgi/")
    assert response.status_code == 200
    assert "The pages cache failed" in caplog.text
    assert list((var_on.root / "cache" / "pages").iterdir()) == []  # no entry, no leftover
    # The page is still kept in this worker's memory: the next view costs no render.
    assert client.get("/eras/wsgi/")["ETag"] == response["ETag"]


def test_an_edit_saved_on_a_full_disk_shows_at_once(client, history, var_on):
    assert client.get("/eras/wsgi/").status_code == 200  # cached under the current version
    var_on.fill()
    history.title = "Renamed on a full disk"
    history.save()  # no 500: the change is saved, and the old version is forgotten
    assert not (var_on.root / "content-version").exists()
    response = client.get("/eras/wsgi/")
    assert response.status_code == 200
    assert b"Renamed on a full disk" in response.content


def test_an_edited_run_on_a_full_disk_gets_a_503_saying_so(var_on, settings):
    settings.RUNNER_STATE_DIR = str(var_on.root / "runner")
    var_on.fill()
    with pytest.raises(service.ServiceError) as refused:
        service.check_rate("10.0.0.1")
    assert refused.value.status == 503
    assert refused.value.message == (
        "The server's disk is full, so edited runs are paused: their rate limit cannot be "
        f"counted. Try again in {throttle.STORE_RETRY} s."
    )
    assert refused.value.headers == {"Retry-After": str(throttle.STORE_RETRY)}


def test_a_run_whose_work_directory_cannot_be_written_gets_a_503(sandbox, disk, monkeypatch):
    disk.fill()
    monkeypatch.setattr(tempfile, "tempdir", str(disk.root))
    with pytest.raises(service.ServiceError) as refused:
        service.run_code("python", "print(1)\n")
    assert refused.value.status == 503
    assert refused.value.message == (
        "The server's disk is full, so code cannot be run right now. Try again later."
    )
    assert [p.name for p in disk.root.iterdir()] == ["ballast"]  # no work directory left


def test_a_run_whose_owner_record_cannot_be_written_gets_a_503(disk, settings):
    """The record of which worker holds a run's uid (its cgroup's owner) is written to the
    runner's state in var/: no room there is the same 503 as for the run's own files."""
    settings.RUNNER_STATE_DIR = str(disk.root / "runner")
    (disk.root / "runner").mkdir()
    disk.fill()
    with pytest.raises(service.ServiceError) as refused:
        identity.record_owner(get_config(), 60001)
    assert refused.value.status == 503
    assert refused.value.message == NO_ROOM_TO_RUN


def test_only_a_write_with_no_room_counts_as_a_full_disk():
    assert disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not disk_full(OSError(errno.EACCES, "Permission denied"))
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        assert disk_full(wrapped)
