"""Static files storage for production."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed files; ES module imports are rewritten to the hashed names too.

    Without this, `present.<hash>.js` would import the unhashed `deck-core.js`, which a
    browser could keep from an older deploy, and which the page's modulepreload (hashed)
    would not match, so it would be fetched twice.
    """

    support_js_module_import_aggregation = True
