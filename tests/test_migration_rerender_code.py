"""The migration that renders code again: stored HTML from before wrapped lines kept their
indent gets the line-by-line markup, and every cached page is made stale."""

import pytest

from tests.test_migration_reference_order import leaf, migrate
from timeline import rendering

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("timeline", "0019_health_report"), ("historyweb", "0001_initial")]
AFTER = [("timeline", "0020_rerender_code_lines")]
CODE = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'hi']\n"


def test_stored_code_is_rendered_again_and_pages_go_stale():
    apps = migrate(BEFORE)
    Era = apps.get_model("timeline", "Era")
    era = Era.objects.create(slug="wsgi", title="WSGI", year=2003, summary="S.")
    apps.get_model("timeline", "CodeSample").objects.create(
        era=era,
        order=1,
        title="Hello",
        language="python",
        code=CODE,
        highlighted_html="<pre>old</pre>",
    )
    apps.get_model("timeline", "Exercise").objects.create(
        era=era,
        slug="x",
        title="X",
        solution=CODE,
        language="python",
        solution_html="<pre>old</pre>",
    )
    versions = apps.get_model("historyweb", "ContentVersion")
    versions.objects.update_or_create(pk=1, defaults={"number": 5})
    try:
        apps = migrate(AFTER)
        sample = apps.get_model("timeline", "CodeSample").objects.get()
        assert sample.highlighted_html == rendering.highlight_code(
            CODE, "python", label="Code: Hello"
        )
        assert '<span class="line indent-4">' in sample.highlighted_html  # the body line's indent
        exercise = apps.get_model("timeline", "Exercise").objects.get()
        assert exercise.solution_html == rendering.highlight_code(
            CODE, "python", label="Reference solution: X"
        )
        assert apps.get_model("historyweb", "ContentVersion").objects.get().number > 5
    finally:
        migrate(leaf())
