"""{% section %}: every labelled part of a page is written the same way."""

import pytest
from django.template import Context, Template, TemplateSyntaxError


def render(source, **context):
    return Template("{% load sections %}" + source).render(Context(context))


def test_a_section_is_labelled_by_its_heading_and_escapes_its_title():
    html = render(
        '{% section "references" title %}<ul></ul>\n{% endsection %}', title="<b>Sources</b>"
    )
    assert html.startswith('<section class="references" aria-labelledby="references-title">')
    assert '<h2 id="references-title">&lt;b&gt;Sources&lt;/b&gt;</h2>' in html
    assert html.rstrip().endswith("<ul></ul>\n  </section>")


def test_the_heading_id_may_differ_from_the_class():
    html = render('{% section "era-exercises" "Practise" "exercises" %}x{% endsection %}')
    assert 'class="era-exercises" aria-labelledby="exercises-title"' in html
    assert '<h2 id="exercises-title">Practise</h2>' in html


def test_a_section_needs_a_class_and_a_title():
    with pytest.raises(TemplateSyntaxError):
        render('{% section "only-a-class" %}x{% endsection %}')
