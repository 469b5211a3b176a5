"""`make mutate`'s configuration (mutate/groups.toml) names code and tests that exist: a renamed
function would silently drop its mutants, and a renamed test its proof."""

import importlib.util
import json
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

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


def test_a_timeout_counts_the_tests_whole_time_not_their_calls_alone(tmp_path):
    """mutmut times a test's call alone; a test whose fixtures take 20 s is no fast test."""
    run = driver()
    settings = {"timeout_multiplier": 4.0, "timeout_constant": 5.0}
    assert run.timeout_status(0.5, settings, whole=2.0) == "timeout"  # 2 s of a 22 s limit
    assert run.timeout_status(0.5, settings, whole=20.0) == run.SLOW_TIMEOUT
    mutants = tmp_path / "mutants"
    mutants.mkdir()
    tests = {"m.x_f": ["t::a", "t::b"], "m.x_g": ["t::a", "t::untimed"], "m.x_h": []}
    (mutants / "mutmut-stats.json").write_text(
        json.dumps({"tests_by_mangled_function_name": tests, "duration_by_test": {"t::a": 0.1}})
    )
    (mutants / "mutate-whole-durations.json").write_text(json.dumps({"t::a": 1.5, "t::b": 2.0}))
    # A function with a test never timed whole, or with no test, has no figure.
    assert run.whole_estimates(mutants) == {"m.x_f": 3.5}
    assert run.whole_estimates(tmp_path) == {}


def test_the_clean_run_writes_each_tests_whole_time(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "mutate"))
    try:
        import fastest_first
    finally:
        sys.path.remove(str(ROOT / "mutate"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / fastest_first.WHOLE).write_text(json.dumps({"t::earlier": 9.0}))
    monkeypatch.setenv("MUTANT_UNDER_TEST", "a_mutant")  # a mutant's run times nothing
    fastest_first.pytest_runtest_logreport(SimpleNamespace(nodeid="t::a", duration=5.0))
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    for phase_seconds in (1.0, 0.25, 0.5):  # set-up, call, tear-down
        fastest_first.pytest_runtest_logreport(
            SimpleNamespace(nodeid="t::a", duration=phase_seconds)
        )
    fastest_first.pytest_sessionfinish(None)
    written = json.loads((tmp_path / fastest_first.WHOLE).read_text())
    assert written == {"t::earlier": 9.0, "t::a": 1.75}


def test_only_cuts_a_group_down_to_the_modules_and_functions_named():
    restrict = driver().restrict
    mutate = {"a.py": ["*"], "b.py": ["f", "g"], "c.py": ["*", "!h"]}
    assert restrict(mutate, None) == mutate
    assert restrict(mutate, ["c.py"]) == {"c.py": ["*", "!h"]}
    assert restrict(mutate, ["a.py::Hub.run", "a.py::x", "b.py"]) == {
        "a.py": ["Hub.run", "x"],
        "b.py": ["f", "g"],
    }
    # The whole module named as well as one of its functions: the whole module.
    assert restrict(mutate, ["b.py", "b.py::f"]) == {"b.py": ["f", "g"]}
    with pytest.raises(KeyError):
        restrict(mutate, ["d.py"])


def test_every_function_includes_coroutines_and_async_generators():
    functions = driver().functions_in("timeline/live/stream.py")
    assert {"read_session", "async_events", "Forwarder.render"} <= set(functions)
    assert "AsyncSubscriber.get" in driver().functions_in("timeline/live/channel.py")
