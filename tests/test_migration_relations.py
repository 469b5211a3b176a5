"""The migration to related eras with a kind keeps every existing link, once per pair."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("timeline", "0006_slide_steps")]
AFTER = [("timeline", "0007_era_relation_kinds")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_symmetrical_links_become_one_same_idea_relation_on_the_later_era():
    apps = migrate(BEFORE)
    Era = apps.get_model("timeline", "Era")

    def era(slug, year):
        return Era.objects.create(slug=slug, title=slug.upper(), year=year, summary="S.")

    cgi, wsgi, flask = era("cgi", 1993), era("wsgi", 2003), era("flask", 2010)
    wsgi.related.add(cgi)  # symmetrical: two rows
    flask.related.add(wsgi)
    cgi.related.add(flask)
    try:
        apps = migrate(AFTER)
        EraRelation = apps.get_model("timeline", "EraRelation")
        rows = sorted(EraRelation.objects.values_list("era__slug", "other__slug", "kind"))
        assert rows == [
            ("flask", "cgi", "same-idea"),
            ("flask", "wsgi", "same-idea"),
            ("wsgi", "cgi", "same-idea"),
        ]
        # And back: the symmetrical links return.
        apps = migrate(BEFORE)
        Era = apps.get_model("timeline", "Era")
        assert set(Era.objects.get(slug="cgi").related.values_list("slug", flat=True)) == {
            "wsgi",
            "flask",
        }
    finally:
        migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes("timeline")
