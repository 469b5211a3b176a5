import re

from django.core.management import call_command
from django.test import override_settings


def test_production_storage_hashes_the_deck_modules_imports(tmp_path, settings):
    """present.<hash>.js must import deck-core.<hash>.js, the file its modulepreload names (and
    run.<hash>.js run-result.<hash>.js, which imports csrf-post.<hash>.js)."""
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "historyweb.storage.StaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    shared = {
        "present": "deck-core",
        "speaker": "deck-core",
        "print-deck": "deck-core",
        "run": "run-result",
        "run-result": "csrf-post",
    }
    for entry, module in shared.items():
        (hashed,) = [
            p
            for p in (tmp_path / "js").glob(f"{entry}.*.js")
            if re.fullmatch(r"[0-9a-f]{12}", p.suffixes[0][1:])
        ]
        imports = re.findall(r'from "\./([^"]+)"', hashed.read_text())
        assert any(re.fullmatch(rf"{module}\.[0-9a-f]{{12}}\.js", name) for name in imports)
        for name in imports:  # every module it imports, by its hashed name, which exists
            assert re.fullmatch(r"[a-z-]+\.[0-9a-f]{12}\.js", name), name
            assert (tmp_path / "js" / name).exists(), name
    # whitenoise serves static files precompressed: brotli (the `brotli` package is installed)
    # beside gzip, for every hashed CSS and JS file.
    for hashed in [*(tmp_path / "js").glob("present.*.js"), *(tmp_path / "css").glob("site.*.css")]:
        assert hashed.with_name(hashed.name + ".br").exists(), hashed
        assert hashed.with_name(hashed.name + ".gz").exists(), hashed
