"""`make mutate`'s configuration (mutate/groups.toml) names code and tests that exist: a renamed
function would silently drop its mutants, and a renamed test its proof."""

import importlib.util
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GROUPS = tomllib.loads((ROOT / "mutate" / "groups.toml").read_text())["group"]


def driver():
    spec = importlib.util.spec_from_file_location("mutate_run", ROOT / "mutate" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("group", GROUPS, ids=[g["name"] for g in GROUPS])
def test_every_mutated_function_exists(group):
    functions_in = driver().functions_in
    for path, names in group["mutate"].items():
        found = set(functions_in(path))
        named = {name.lstrip("!") for name in names} - {"*"}
        assert named <= found, (path, sorted(named - found))


@pytest.mark.parametrize("group", GROUPS, ids=[g["name"] for g in GROUPS])
def test_every_selected_test_exists(group):
    arguments = iter(group["tests"])
    for argument in arguments:
        if argument in ("-k", "--deselect"):
            argument = next(arguments)
            if argument.startswith("not "):
                continue
        path, _, name = argument.partition("::")
        source = (ROOT / path).read_text()
        test = name.partition("[")[0].split("::")[-1]
        assert not test or f"def {test}(" in source, argument


def test_mutant_names_follow_mutmuts_mangling():
    patterns = driver().mutant_patterns(
        {
            "historyweb/page_cache.py": ["*", "!connect_signals"],
            "timeline/rendering.py": ["safe_url"],
        }
    )
    assert "timeline.rendering.x_safe_url__mutmut_*" in patterns
    assert "historyweb.page_cache.xǁ_Memoryǁput__mutmut_*" in patterns
    assert not any("connect_signals" in pattern for pattern in patterns)


def test_an_equivalence_is_bound_to_its_mutation_not_to_line_numbers():
    fingerprint = driver().fingerprint
    diff = "--- a\n+++ b\n@@ -10,3 +10,3 @@\n     x = 1\n-    y = 2\n+    y = 3\n"
    moved = diff.replace("@@ -10,3 +10,3 @@", "@@ -40,3 +40,3 @@")
    assert fingerprint(diff) == fingerprint(moved)
    assert fingerprint(diff) != fingerprint(diff.replace("y = 3", "y = 4"))


def test_every_listed_equivalent_says_why():
    entries = driver().load_equivalents()
    assert entries
    assert all(len(entry.digest) == 10 and entry.reason for entry in entries.values())


def test_a_timeout_is_caught_only_when_the_clean_run_took_a_tenth_of_the_limit():
    run = driver()
    settings = {"timeout_multiplier": 4.0, "timeout_constant": 5.0}
    # (0.5 + 5) * 4: a 22 s limit on tests that passed in half a second.
    assert run.wall_timeout(0.5, settings) == 22.0
    assert run.timeout_status(0.5, settings) == "timeout"
    # 3 s of 32 is under a tenth; 4 s of 36 is over it: the machine may just have been busy.
    assert run.timeout_status(3.0, settings) == "timeout"
    assert run.timeout_status(4.0, settings) == run.SLOW_TIMEOUT
    assert run.SLOW_TIMEOUT not in run.CAUGHT
    # mutmut's own defaults (15 and 1) where pyproject.toml sets nothing.
    assert run.wall_timeout(1.0, {}) == 30.0
    # A mutant with no clean-run figure is not counted as caught by a timeout.
    assert run.timeout_status(None, settings) == run.SLOW_TIMEOUT
