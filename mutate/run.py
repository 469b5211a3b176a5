"""`make mutate`: mutation testing of the modules where a bug would hurt most.

Each group of mutate/groups.toml is mutated by mutmut in a copy of the project of its own, with
only its fast tests selected. mutmut first runs that selection once to learn which tests execute
which function, then runs, for each mutant, only the tests that executed its function. A
separate copy per group keeps each selection small: sanitize() runs in nearly every test that
saves an era, and a mutant of it should cost the XSS tests, not the whole suite.

Prints a score per module (killed/total) and every survivor (file:line and the mutation).
Survivors listed in mutate/equivalent.txt (a mutant that changes no behaviour, with the reason)
leave the count, as long as their mutation is still the one that was reviewed. Exits non-zero
when a module scores below the groups' target.

    .venv/bin/python mutate/run.py                 # every group
    .venv/bin/python mutate/run.py runner-result   # some groups
    .venv/bin/python mutate/run.py --keep ...      # keep the copies (mutmut browse/show there)
    .venv/bin/python mutate/run.py --only timeline/live/qr.py live   # some of a group's modules
    .venv/bin/python mutate/run.py --only timeline/live/channel.py::Hub.publish live
"""

import argparse
import ast
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from math import ceil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
GROUPS = HERE / "groups.toml"
EQUIVALENT = HERE / "equivalent.txt"
MUTMUT = Path(sys.executable).with_name("mutmut")
SEPARATOR = "ǁ"  # mutmut's between a class and its method in a mutant's name
# How mutmut's exit codes count here: a timeout or a crash of the test process is caught (the
# suite would not pass); a mutant no selected test executes is not. A timeout counts only where
# the same tests passed in the clean run within a tenth of the limit (timeout_status).
CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}
SLOW_TIMEOUT = "timeout, slow clean run"
# mutmut's defaults, where pyproject.toml's [tool.mutmut] does not set them.
TIMEOUT_DEFAULTS = {"timeout_multiplier": 15.0, "timeout_constant": 1.0}


class GroupFailed(Exception):
    """mutmut stopped on a group (its tests failed without a mutant, say); the others go on."""


@dataclass
class Mutant:
    name: str
    path: str
    status: str
    line: int = 0
    diff: str = ""
    equivalent: str = ""  # the reason, when mutate/equivalent.txt lists it and still matches

    @property
    def fingerprint(self):
        return fingerprint(self.diff)


@dataclass
class Equivalent:
    digest: str
    reason: str


@dataclass
class GroupResult:
    name: str
    about: str
    mutants: list = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def children_cpu():
    """CPU seconds used by finished child processes: a measure that does not depend on what
    else the machine is doing, unlike the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fingerprint(diff):
    """The mutation itself (its removed and added lines), independent of the file's line numbers:
    an equivalence stays valid while the function around it changes elsewhere."""
    body = [
        line.strip()
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return hashlib.sha256("\n".join(body).encode()).hexdigest()[:10]


def load_equivalents():
    """mutate/equivalent.txt: `<mutant name> <fingerprint>  # why it changes no behaviour`."""
    found = {}
    for number, line in enumerate(EQUIVALENT.read_text().splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        entry, _, reason = text.partition("#")
        parts = entry.split()
        if len(parts) != 2 or not reason.strip():
            sys.exit(f"{EQUIVALENT.name}:{number}: want `<mutant> <fingerprint>  # reason`")
        found[parts[0]] = Equivalent(parts[1], reason.strip())
    return found


def wall_timeout(estimate, settings):
    """mutmut's wall-clock limit on a mutant's tests, from their clean-run seconds: half the CPU
    limit it sets, ceil((estimate + constant) * multiplier * 2)."""
    values = {**TIMEOUT_DEFAULTS, **settings}
    cpu_limit = ceil((estimate + values["timeout_constant"]) * values["timeout_multiplier"] * 2)
    return cpu_limit / 2


def timeout_status(estimate, settings, whole=None):
    """A timed-out mutant is caught (it made a test hang) only when the tests that ran it passed
    in the clean run within a tenth of the limit; tests that already take a large share of it
    may just have met a busy machine. mutmut sets the limit from `estimate`, its clean-run
    seconds of the tests' calls alone; `whole` is the same tests' whole time, fixtures included
    (fastest_first.py), which is what must fit. No clean-run figure (None) is not fast."""
    if estimate is None:
        return SLOW_TIMEOUT
    taken = estimate if whole is None else max(estimate, whole)
    return "timeout" if taken <= wall_timeout(estimate, settings) / 10 else SLOW_TIMEOUT


def whole_estimates(mutants_dir):
    """{function: whole clean-run seconds of the tests that ran it}, from mutmut's stats and
    fastest_first.py's whole times; a function with a test never timed whole has none."""
    try:
        stats = json.loads((mutants_dir / "mutmut-stats.json").read_text())
        whole = json.loads((mutants_dir / "mutate-whole-durations.json").read_text())
    except (OSError, ValueError):
        return {}
    found = {}
    for function, tests in stats.get("tests_by_mangled_function_name", {}).items():
        if tests and all(test in whole for test in tests):
            found[function] = sum(whole[test] for test in tests)
    return found


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)  # mutmut mutates coroutines too


def functions_in(path):
    """Every function and method of a file, as "name" or "Class.method"."""
    tree = ast.parse((ROOT / path).read_text())
    names = []
    for node in tree.body:
        if isinstance(node, FUNCTIONS):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names += [
                f"{node.name}.{item.name}" for item in node.body if isinstance(item, FUNCTIONS)
            ]
    return names


def mutant_patterns(mutate):
    """mutmut name patterns for {"timeline/models/content.py": ["EraQuerySet.visible_to", ...]}.

    "*" stands for every function of the file; "!name" leaves one out (one that runs only when
    the process starts, say, before mutmut can switch a mutant on)."""
    patterns = []
    for path, functions in mutate.items():
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        left_out = {f[1:] for f in functions if f.startswith("!")}
        wanted = [f for f in functions if not f.startswith("!")]
        if "*" in wanted:
            wanted = functions_in(path)
        for function in wanted:
            if function in left_out:
                continue
            owner, _, name = function.rpartition(".")
            mangled = f"x{SEPARATOR}{owner}{SEPARATOR}{name}" if owner else f"x_{name}"
            patterns.append(f"{module}.{mangled}__mutmut_*")
    return patterns


def restrict(mutate, only):
    """A group's {path: functions} cut down to `--only` entries, each "path" (its functions as
    the group lists them) or "path::function" (that function alone, repeatable)."""
    if not only:
        return mutate
    whole = {entry for entry in only if "::" not in entry}
    kept = {path: list(mutate[path]) for path in mutate if path in whole}
    for entry in only:
        path, _, function = entry.partition("::")
        if path not in mutate:
            raise KeyError(path)
        if function and path not in whole:
            kept.setdefault(path, []).append(function)
    return kept


def project_files():
    """What git would commit (tracked and new, not ignored): no .venv, var/ or old mutants/."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    return [name for name in listing.decode().split("\0") if name and (ROOT / name).is_file()]


def make_copy(group):
    """A copy of the project whose pyproject tells mutmut this group's modules and tests."""
    copy = Path(tempfile.mkdtemp(prefix=f"historyweb-mutate-{group['name']}-"))
    for name in project_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    pyproject = (copy / "pyproject.toml").read_text()
    extra = {
        "only_mutate": sorted(group["mutate"]),
        "pytest_add_cli_args_test_selection": group["tests"],
    }
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in extra.items())
    if "\n[tool.mutmut]\n" not in pyproject:
        sys.exit("pyproject.toml has no [tool.mutmut] section")
    pyproject = pyproject.replace("\n[tool.mutmut]\n", "\n[tool.mutmut]\n" + lines, 1)
    (copy / "pyproject.toml").write_text(pyproject)
    return copy


@contextmanager
def inside(path):
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def first_line(source, mangled):
    """The line of `def` (or of its first decorator) of a function named as mutmut mangles it."""
    owner, name = None, mangled.removeprefix("x_")
    if mangled.startswith(f"x{SEPARATOR}"):
        _, owner, name = mangled.split(SEPARATOR)
    for node in ast.walk(ast.parse(source)):
        if owner and isinstance(node, ast.ClassDef) and node.name == owner:
            for item in node.body:
                if isinstance(item, FUNCTIONS) and item.name == name:
                    return min([item.lineno] + [d.lineno for d in item.decorator_list])
        if not owner and isinstance(node, ast.Module):
            for item in node.body:
                if isinstance(item, FUNCTIONS) and item.name == name:
                    return min([item.lineno] + [d.lineno for d in item.decorator_list])
    return 0


HUNK = re.compile(r"^@@ -(\d+)")


def describe(mutant, copy):
    """Fill in the survivor's diff and the source line it changes."""
    from mutmut.configuration import reset_config
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    with inside(copy):
        reset_config()
        mutant.diff = get_diff_for_mutant(mutant.name, path=mutant.path)
    mangled = mutant.name.rpartition(".")[2].partition("__mutmut_")[0]
    start = first_line((copy / mutant.path).read_text(), mangled)
    offset = 0
    for line in mutant.diff.splitlines():
        match = HUNK.match(line)
        if match:
            offset = int(match[1])
            continue
        if offset and line.startswith("-"):
            break
        if offset and line.startswith(" "):
            offset += 1
    mutant.line = start + max(offset, 1) - 1 if start else 0


def mutmut_environment():
    """mutmut's environment: each mutant's tests run fastest first (fastest_first.py)."""
    addopts = " ".join(filter(None, [os.environ.get("PYTEST_ADDOPTS"), "-p fastest_first"]))
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_ADDOPTS": addopts,
        "PYTHONPATH": path,
    }


def run_group(group, max_children):
    copy = make_copy(group)
    log = copy / "mutmut.log"
    patterns = mutant_patterns(group["mutate"])
    started, cpu = time.monotonic(), children_cpu()
    with log.open("w") as out:
        completed = subprocess.run(
            [str(MUTMUT), "run", "--max-children", str(max_children), *patterns],
            cwd=copy,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=mutmut_environment(),
        )
    result = GroupResult(group["name"], group["about"], seconds=time.monotonic() - started)
    result.cpu_seconds = children_cpu() - cpu
    if completed.returncode != 0:
        print(log.read_text()[-4000:])
        raise GroupFailed(
            f"mutmut failed on group {group['name']} (exit {completed.returncode}); see {log}"
        )

    from mutmut.stats import status_by_exit_code

    settings = tomllib.loads((copy / "pyproject.toml").read_text())["tool"]["mutmut"]
    wholes = whole_estimates(copy / "mutants")
    for path in sorted(group["mutate"]):
        meta = json.loads((copy / "mutants" / f"{path}.meta").read_text())
        estimates = meta.get("estimated_durations_by_key", {})
        for name, code in sorted(meta["exit_code_by_key"].items()):
            if any(fnmatch(name, pattern) for pattern in patterns):
                status = status_by_exit_code[code]
                if status == "timeout":
                    whole = wholes.get(name.partition("__mutmut_")[0])
                    status = timeout_status(estimates.get(name), settings, whole)
                result.mutants.append(Mutant(name, path, status))
    for mutant in result.mutants:
        if mutant.status not in CAUGHT:
            describe(mutant, copy)
    return result, copy


def apply_equivalents(results, equivalents):
    """Mark the survivors the list explains; return what is wrong with the list's entries."""
    problems = []
    for result in results:
        for mutant in result.mutants:
            entry = equivalents.get(mutant.name)
            if entry is None:
                continue
            if mutant.status in CAUGHT:
                problems.append(f"{mutant.name} is caught now ({mutant.status}): drop its entry")
            elif entry.digest != mutant.fingerprint:
                problems.append(f"{mutant.name} is another mutation now: review it again")
            else:
                mutant.equivalent = entry.reason
    return problems


def score(mutants):
    counted = [m for m in mutants if not m.equivalent]
    caught = sum(m.status in CAUGHT for m in counted)
    return caught, len(counted), (100.0 * caught / len(counted) if counted else 100.0)


def report(results, problems, target, total_seconds):
    below = []
    print()
    print(f"{'module':<44} {'caught':>7} {'total':>6} {'score':>7}  equivalent")
    for result in results:
        print(
            f"-- {result.name}: {result.about} "
            f"({result.seconds:.0f} s, {result.cpu_seconds:.0f} CPU s)"
        )
        for path in sorted({m.path for m in result.mutants}):
            mutants = [m for m in result.mutants if m.path == path]
            caught, total, percent = score(mutants)
            equivalent = sum(bool(m.equivalent) for m in mutants)
            print(f"   {path:<41} {caught:>7} {total:>6} {percent:>6.1f}%  {equivalent}")
            if percent < target:
                below.append(f"{result.name} {path}")
    print()
    survivors = [
        m for r in results for m in r.mutants if m.status not in CAUGHT and not m.equivalent
    ]
    for mutant in survivors:
        print(f"SURVIVED ({mutant.status}) {mutant.path}:{mutant.line}  {mutant.name}")
        print(f"    equivalent.txt line: {mutant.name} {mutant.fingerprint}  # why")
        for line in mutant.diff.splitlines()[2:]:
            if line[:1] in "+-":
                print(f"    {line}")
    for problem in problems:
        print(f"STALE in {EQUIVALENT.name}: {problem}")
    statuses = Counter(m.status for r in results for m in r.mutants)
    caught, total, percent = score([m for r in results for m in r.mutants])
    equivalent = sum(bool(m.equivalent) for r in results for m in r.mutants)
    print()
    cpu = sum(r.cpu_seconds for r in results)
    print(
        f"all: {caught}/{total} caught ({percent:.1f}%), {equivalent} equivalent, "
        f"{len(survivors)} survivors; {dict(sorted(statuses.items()))}"
    )
    print(
        f"time: {total_seconds:.0f} s, {cpu:.0f} CPU s (on {os.cpu_count()} idle cores about "
        f"{cpu / (os.cpu_count() or 1):.0f} s)"
    )
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average at the end: {load} on {os.cpu_count()} cores")
    if below:
        print(f"below the {target:g}% target: " + ", ".join(below))
    return not below


def main():
    config = tomllib.loads(GROUPS.read_text())
    groups = {group["name"]: group for group in config["group"]}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=", ".join(groups))
    parser.add_argument("--keep", action="store_true", help="keep each group's copy")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--only",
        action="append",
        metavar="PATH[::FUNCTION]",
        help="mutate only this module (or function) of the groups named; repeatable",
    )
    args = parser.parse_args()
    unknown = sorted(set(args.groups) - set(groups))
    if unknown:
        parser.error(f"no group {unknown[0]!r}; the groups: {', '.join(groups)}")
    if args.only and not args.groups:
        parser.error("--only needs the group it restricts")
    for name in args.groups:
        try:
            groups[name] = {**groups[name], "mutate": restrict(groups[name]["mutate"], args.only)}
        except KeyError as exc:
            parser.error(f"group {name!r} does not mutate {exc.args[0]}")
    equivalents = load_equivalents()
    started = time.monotonic()
    results, failed = [], []
    for name in args.groups or groups:
        group = groups[name]
        print(f"mutating {name}: {group['about']} ...", flush=True)
        try:
            result, copy = run_group(group, args.max_children)
        except GroupFailed as exc:
            failed.append(str(exc))  # its copy is kept, with mutmut's log
            continue
        results.append(result)
        print(f"    {len(result.mutants)} mutants, {result.seconds:.0f} s", flush=True)
        if args.keep:
            print(f"    kept in {copy}")
        else:
            shutil.rmtree(copy, ignore_errors=True)
    problems = apply_equivalents(results, equivalents)
    ok = report(results, problems, float(config.get("target", 90)), time.monotonic() - started)
    for message in failed:
        print(f"NOT RUN: {message}")
    sys.exit(0 if ok and not failed else 1)


if __name__ == "__main__":
    main()
