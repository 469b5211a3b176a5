import pytest

from timeline import rendering

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<svg onload="alert(1)"></svg>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<form action="https://evil.example"><input name="p"></form>',
    "<object data='x'></object>",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_comes_out_inert(payload):
    html = rendering.render_markdown(f"Intro\n\n{payload}\n\nOutro")
    lowered = html.lower()
    for bad in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<iframe",
        "<svg",
        "style=",
        "<form",
        "<input",
        "<object",
    ):
        assert bad not in lowered, (payload, html)
    assert "Outro" in html


def test_fenced_code_is_highlighted_by_pygments():
    html = rendering.render_markdown("```python\ndef app(environ, start_response):\n    pass\n```")
    assert 'class="highlight"' in html
    assert '<span class="k">def</span>' in html


def test_tables_render():
    html = rendering.render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html and "<td>1</td>" in html


def test_links_get_safe_rel():
    html = rendering.render_markdown("[PEP 333](https://peps.python.org/pep-0333/)")
    assert html == (
        '<p><a href="https://peps.python.org/pep-0333/" rel="noopener noreferrer">PEP 333</a></p>'
    )


def test_empty_text_renders_empty():
    assert rendering.render_markdown("") == ""


def test_highlight_code_unknown_language_falls_back_to_text():
    html = rendering.highlight_code("<b>x</b>", "no-such-lexer")
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_highlight_code_escapes_html_in_code():
    html = rendering.highlight_code("print('<script>alert(1)</script>')", "python")
    assert "<script>" not in html


def test_lexer_alias_check():
    assert rendering.is_lexer_alias("python")
    assert rendering.is_lexer_alias("http")
    assert not rendering.is_lexer_alias("definitely-not-a-lexer")


# On a phone long code scrolls sideways in its <pre>: keyboard users reach it only if it can
# take focus, and a focusable box needs a role and a name (axe: scrollable-region-focusable).
def test_code_blocks_in_prose_are_focusable_named_groups():
    html = rendering.render_markdown("```python\nx = 1\n```\n\n    indented = 2\n")
    # Exactly this text, attributes in this order: the stored HTML must not change between renders.
    assert html.count('<pre tabindex="0" role="group" aria-label="Code example">') == 2
    assert html.count("<pre") == 2


def test_an_editor_cannot_change_the_code_block_attributes():
    html = rendering.render_markdown(
        '<pre tabindex="-1" role="presentation" aria-label="x" onfocus="alert(1)">y</pre>'
        '<p title="<pre x>">&lt;pre&gt; in text</p>'
    )
    assert html.startswith('<pre tabindex="0" role="group" aria-label="Code example">y</pre>')
    # A "<pre" inside an attribute or text is escaped by nh3, so it gains no attributes.
    assert '<p title="&lt;pre x&gt;">&lt;pre&gt; in text</p>' in html
    assert "-1" not in html and "presentation" not in html and "onfocus" not in html


def test_highlighted_sample_is_a_region_named_by_its_label():
    html = rendering.highlight_code("x = 1\n", "python", label='Code: "quoted" <title>')
    assert 'role="region"' in html and 'tabindex="0"' in html
    # The label is an attribute value, escaped: it cannot open a tag or end the attribute.
    assert 'aria-label="Code: &quot;quoted&quot; &lt;title&gt;"' in html
    assert "<title>" not in html


def test_tags_off_the_allow_list_are_dropped_even_those_nh3_allows_by_default():
    """nh3's own default list admits images, <h1> (the page's title level) and landmarks:
    editors' text gets only ours, and keeps its words."""
    html = rendering.sanitize(
        '<h1>Title</h1><img src="https://example.org/x.png" alt="x"><nav>Menu</nav><p>Text</p>'
    )
    assert html == "TitleMenu<p>Text</p>"


def test_links_keep_only_http_https_and_mailto_urls():
    """nh3 by default also keeps ftp:, tel:, ssh: and a dozen more; a slide links to the web."""
    html = rendering.sanitize(
        '<a href="ftp://example.org/f">f</a> <a href="tel:+15555550100">t</a> '
        '<a href="mailto:ada@example.org">m</a> <a href="http://example.org/">h</a>'
    )
    assert html == (
        '<a rel="noopener noreferrer">f</a> <a rel="noopener noreferrer">t</a> '
        '<a href="mailto:ada@example.org" rel="noopener noreferrer">m</a> '
        '<a href="http://example.org/" rel="noopener noreferrer">h</a>'
    )


def test_html_comments_are_stripped():
    """A comment could hide a conditional-comment payload or an editor's private note."""
    assert rendering.sanitize("<p>a<!-- private note -->b</p>") == "<p>ab</p>"


@pytest.mark.parametrize(
    "url",
    [
        "https://peps.python.org/pep-0333/",
        "http://example.org/",
        "HTTPS://EXAMPLE.ORG/",
        " https://example.org/ ",
        "https://example.org:8443/a:b",
    ],
)
def test_safe_url_keeps_http_and_https_urls(url):
    assert rendering.safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.org/",
        "//evil.example/",
        "/eras/wsgi/",
        "https",
        "",
    ],
)
def test_safe_url_refuses_everything_else(url):
    assert rendering.safe_url(url) == ""
