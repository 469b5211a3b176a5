"""The migration that gives references an order keeps the order pages showed them in."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("timeline", "0009_evidence_line_text")]
AFTER = [("timeline", "0010_reference_order")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def leaf():
    return MigrationExecutor(connection).loader.graph.leaf_nodes("timeline")


def test_each_eras_references_are_numbered_as_they_were_listed():
    """Kind, then title, then URL (as the era page sorted them), from 1 in every era; the
    sort is Python's, so "PEP 3333" comes before "PEP 333:" on any database collation."""
    apps = migrate(BEFORE)
    Era = apps.get_model("timeline", "Era")
    Reference = apps.get_model("timeline", "Reference")
    wsgi = Era.objects.create(slug="wsgi", title="WSGI", year=2003, summary="S.")
    cgi = Era.objects.create(slug="cgi", title="CGI", year=1993, summary="S.")
    for era, title, kind, url in [
        (wsgi, "PEP 333: WSGI v1.0", "pep", "https://peps.python.org/pep-0333/"),
        (wsgi, "wsgiref", "docs", "https://docs.python.org/3/library/wsgiref.html"),
        (wsgi, "PEP 3333: WSGI v1.0.1", "pep", "https://peps.python.org/pep-3333/"),
        (wsgi, "Same title", "article", "https://b.example/"),
        (wsgi, "Same title", "article", "https://a.example/"),
        (cgi, "RFC 3875", "rfc", "https://www.rfc-editor.org/rfc/rfc3875"),
    ]:
        Reference.objects.create(era=era, title=title, kind=kind, url=url)
    try:
        apps = migrate(AFTER)
        Reference = apps.get_model("timeline", "Reference")
        rows = list(
            Reference.objects.order_by("era__slug", "order").values_list(
                "era__slug", "order", "title", "url"
            )
        )
        assert rows == [
            ("cgi", 1, "RFC 3875", "https://www.rfc-editor.org/rfc/rfc3875"),
            ("wsgi", 1, "Same title", "https://a.example/"),
            ("wsgi", 2, "Same title", "https://b.example/"),
            ("wsgi", 3, "wsgiref", "https://docs.python.org/3/library/wsgiref.html"),
            ("wsgi", 4, "PEP 3333: WSGI v1.0.1", "https://peps.python.org/pep-3333/"),
            ("wsgi", 5, "PEP 333: WSGI v1.0", "https://peps.python.org/pep-0333/"),
        ]
    finally:
        migrate(leaf())
