"""The harness compiled once, by the sandbox's own interpreter: without it every cold run compiles
harness.py's 1,300 lines again, 8 to 13 ms of CPU (a fifth of a cold python run's).

Two files, each with the sandbox path of its source as the code's file name, so that tracebacks
and linecache read as before (the source stays bound beside them):
- harness.pyc, run as the main script for applications and batches (`python harness.pyc`);
- the cached bytecode of sitecustomize.py, at the name that interpreter's import system looks for
  (`__pycache__/sitecustomize.<tag>.pyc`), for scripts.
Both are unchecked-hash pycs: never compared with a source, so they are made under a name that
holds the source's digest, and a changed harness gets new files. Where they cannot be made (the
interpreter fails, no room), runs compile the source as before.
"""

import functools
import hashlib
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

COMPILE = """\
import py_compile, sys
source, folder, *pairs = sys.argv[1:]
for name, dfile in zip(pairs[::2], pairs[1::2]):
    py_compile.compile(source, cfile=f"{folder}/{name}", dfile=dfile, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
print(sys.implementation.cache_tag)
"""
COMPILE_SECONDS = 30  # a harness compiles in well under a second
_made = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Bytecode:
    harness: Path  # harness.pyc, for /runner/harness.pyc
    site: Path  # sitecustomize's, for /runner/__pycache__/<cached_name>
    cached_name: str  # sitecustomize.<cache tag>.pyc

    def present(self):
        return self.harness.exists() and self.site.exists()


@functools.cache
def digest(source):
    """The source's digest, read once per process: it names the files, and keys cached results
    (service.cache_key)."""
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def compiled(config, source, harness_path, site_path):
    """The harness's bytecode for `config.python`, made on first use; None where it cannot be."""
    key = (config.python, str(config.state_dir), digest(source))
    made = _made.get(key)
    if made and made.present():
        return made
    with _lock:
        made = _made.get(key)
        if not (made and made.present()):
            made = _made[key] = make(config, source, digest(source), harness_path, site_path)
    return made


def make(config, source, digest, harness_path, site_path):
    """Compile into a folder of this thread's, then rename it to <digest>-<cache tag>: two
    servers making it at once each finish and one wins, and another interpreter version (its own
    tag) never takes these files."""
    base = config.state_dir / "bytecode"
    building = base / f"{digest}.{os.getpid()}.{threading.get_ident()}"
    try:
        building.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [config.python, "-I", "-c", COMPILE, str(source), str(building)]
            + ["harness.pyc", harness_path, "site.pyc", site_path],
            capture_output=True,
            text=True,
            timeout=COMPILE_SECONDS,
        )
        tag = done.stdout.strip()
        if done.returncode or not tag or "/" in tag:  # the tag names a folder in `base`
            return None
        for path in (building, *building.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)  # read by the run's own uid
        folder = base / f"{digest}-{tag}"
        made = Bytecode(folder / "harness.pyc", folder / "site.pyc", f"sitecustomize.{tag}.pyc")
        try:
            building.rename(folder)
        except OSError:  # another server put the same files there first, or a file is gone
            if not made.present():
                stale = building.with_name(building.name + ".stale")
                folder.rename(stale)
                remove(stale)
                building.rename(folder)
        return made  # both files: ours, or another server's that were whole
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        remove(building)


def remove(folder):
    if folder.exists():
        shutil.rmtree(folder)
