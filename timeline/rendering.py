"""Markdown and code rendering: done once when content changes, never per request.

Everything that leaves here is sanitised by nh3 against an explicit allow-list, so a slide
or note with hostile HTML comes out inert whatever the editor typed.
"""

import re
from html import escape

import markdown
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang"},
    "a": {"href"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "time": {"datetime"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Long code scrolls sideways inside its <pre> on a phone; a keyboard user can only scroll a box
# that takes focus, and a focusable box needs a role and a name (WCAG 2.1.1; axe's
# scrollable-region-focusable). sanitize() sets these on every <pre>, replacing any an editor typed.
# A sample's code is a region named by its title, so screen readers list it among the landmarks;
# code blocks inside prose share one name, and landmarks must not, so they are groups.
CODE_BLOCK_LABEL = "Code example"

MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "codehilite", "sane_lists", "smarty"]
MARKDOWN_CONFIG = {"codehilite": {"css_class": "highlight", "guess_lang": False}}


PRE_START_TAG = re.compile(r"<pre(?=[\s>])")


def focusable_code(clean_html, label, role):
    """Give every <pre> of nh3's output tabindex, role and name, in a fixed order.

    Done on the sanitised text, where nh3 has escaped every "<" in text and attribute values, so
    "<pre" can only open a real tag, and has dropped any tabindex, role or aria-label an editor
    typed (not on the allow-list). nh3's own set_tag_attribute_values writes them in a random
    order, which would change the stored HTML on every render.
    """
    attributes = f'<pre tabindex="0" role="{role}" aria-label="{escape(label, quote=True)}"'
    return PRE_START_TAG.sub(lambda match: attributes, clean_html)


def sanitize(html, code_label=CODE_BLOCK_LABEL, code_role="group"):
    """Strip everything not on the allow-list: scripts, event handlers, javascript: URLs.

    Every <pre> comes out focusable, with the role `code_role` and the name `code_label`.
    """
    clean_html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return focusable_code(clean_html, code_label, code_role)


def render_markdown(text):
    """Markdown (fenced code, tables) to sanitised HTML, code highlighted by Pygments."""
    if not text:
        return ""
    html = markdown.markdown(
        text, extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG
    )
    return sanitize(html)


def is_lexer_alias(alias):
    try:
        get_lexer_by_name(alias)
    except ClassNotFound:
        return False
    return True


def highlight_code(code, language, label="Code sample"):
    """Pygments HTML for a code sample; unknown languages fall back to plain text.

    `label` names the code's region for screen readers: unique on a page, e.g. from the title.
    """
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    return sanitize(
        highlight(code, lexer, HtmlFormatter(cssclass="highlight", wrapcode=True)),
        code_label=label,
        code_role="region",
    )
