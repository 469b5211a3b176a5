"""An editor's bad input is refused with the message on the field they typed into."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from timeline.models import EraRelation
from timeline.runner.runtimes import MAX_CODE_CHARS

from .factories import make_era, make_exercise, make_sample, make_talk
from .form_post import form_pairs

pytestmark = pytest.mark.django_db


def era_page(client, era):
    url = reverse("admin:timeline_era_change", args=[era.pk])
    return url, dict(form_pairs(client.get(url).content.decode(), "era_form"))


def with_rows(data, prefix, rows):
    """`data` with `rows` (field → value dicts) as the new rows of the `prefix` inline."""
    data = dict(data)
    start = int(data[f"{prefix}-TOTAL_FORMS"])
    for index, row in enumerate(rows, start):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(start + len(rows))
    return data


def field_errors(response, formset_prefix, index, field):
    formset = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == formset_prefix
    )
    return formset.formset.forms[index].errors.get(field, [])


@pytest.mark.parametrize("slug", ["UPPER-Case", "-", "wsgi-", "two--hyphens"])
def test_slugs_are_lowercase_words_joined_by_single_hyphens(slug):
    for obj in (make_era(), make_talk([]), make_exercise(make_era())):
        obj.slug = slug
        with pytest.raises(ValidationError) as raised:
            obj.full_clean()
        assert "lowercase" in " ".join(raised.value.message_dict["slug"])
        obj.slug = "http-1-0"
        obj.full_clean()


def test_a_date_outside_the_eras_year_is_refused_on_the_date(admin_client_logged):
    era = make_era(year=2003)
    url, data = era_page(admin_client_logged, era)
    response = admin_client_logged.post(url, {**data, "date": "2999-12-31"})
    assert response.status_code == 200
    assert "The date is in 2999 but the era's year is 2003" in " ".join(
        response.context["adminform"].form.errors["date"]
    )
    era.refresh_from_db()
    assert era.date is None
    ok = admin_client_logged.post(url, {**data, "date": "2003-12-07"})
    assert ok.status_code == 302
    era.refresh_from_db()
    assert era.date == datetime.date(2003, 12, 7)


def test_a_pair_typed_into_both_relation_tables_is_refused_on_the_repeated_row(
    admin_client_logged,
):
    flask, wsgi = make_era(title="Flask"), make_era(title="WSGI")
    url, data = era_page(admin_client_logged, flask)
    data = with_rows(data, "relations", [{"kind": "built-on", "other": wsgi.pk}])
    data = with_rows(data, "inverse_relations", [{"era": wsgi.pk, "kind": "influenced-by"}])
    response = admin_client_logged.post(url, data)
    assert response.status_code == 200
    errors = field_errors(response, "inverse_relations", 0, "era")
    assert errors and "a pair is stored once" in errors[0]
    assert not EraRelation.objects.exists()
    # The other table alone saves.
    del data["inverse_relations-0-era"], data["inverse_relations-0-kind"]
    data["inverse_relations-TOTAL_FORMS"] = "0"
    assert admin_client_logged.post(url, data).status_code == 302
    assert EraRelation.objects.get().other == wsgi


def test_relating_an_era_to_itself_is_marked_on_the_column_typed_into(admin_client_logged):
    era = make_era(title="Flask")
    url, data = era_page(admin_client_logged, era)
    data = with_rows(data, "inverse_relations", [{"era": era.pk, "kind": "influenced-by"}])
    response = admin_client_logged.post(url, data)
    assert response.status_code == 200
    assert "cannot be related to itself" in " ".join(
        field_errors(response, "inverse_relations", 0, "era")
    )
    assert 'class="errorlist' in response.content.decode().split('id="inverse_relations-group"')[1]


def test_a_pair_stored_both_ways_before_does_not_block_saving_either_era(admin_client_logged):
    flask, wsgi = make_era(title="Flask"), make_era(title="WSGI")
    EraRelation.objects.create(era=flask, other=wsgi, kind="built-on")
    EraRelation.objects.create(era=wsgi, other=flask, kind="influenced-by")  # an older version's
    for era in (flask, wsgi):
        url, data = era_page(admin_client_logged, era)
        response = admin_client_logged.post(url, {**data, "summary": "Edited."})
        assert response.status_code == 302, era
    # A new row repeating a stored pair is still refused, naming where it lives.
    starlette = make_era(title="Starlette")
    EraRelation.objects.create(era=starlette, other=flask, kind="same-idea")
    url, data = era_page(admin_client_logged, flask)
    new_row = int(data["relations-TOTAL_FORMS"])
    data = with_rows(data, "relations", [{"kind": "same-idea", "other": starlette.pk}])
    response = admin_client_logged.post(url, data)
    errors = " ".join(field_errors(response, "relations", new_row, "other"))
    assert "Starlette already names Flask" in errors


def test_a_runnable_sample_over_the_run_limit_is_refused_on_its_code():
    sample = make_sample(make_era(), runtime="python", code="print(1)\n")
    sample.code = "x = 1\n" * (MAX_CODE_CHARS // 6 + 1)
    with pytest.raises(ValidationError) as raised:
        sample.full_clean()
    assert "Runs take at most 64 KB" in raised.value.message_dict["code"][0]
    sample.runtime = "none"
    sample.full_clean()  # shown, not run
