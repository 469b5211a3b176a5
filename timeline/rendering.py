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


def safe_url(url):
    """`url` when it is an http(s) URL, else "": for a link written outside nh3's reach (a
    reference's href in a template), so a javascript: or data: URL is never linked."""
    scheme = url.strip().split(":", 1)[0].lower()
    return url if scheme in ("http", "https") and ":" in url else ""


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
    return sanitize(code_block(code, language), code_label=label, code_role="region")


# A wrapped line hangs under its own first character and two columns further in
# (static/css/site.css, .line and its indent-N classes): restarting at column 0 would read as a
# dedent in Python. Indents past MAX_INDENT share its class.
MAX_INDENT = 24


def indent_of(line):
    """The columns of leading white space of one source line (a tab as 8, CSS's tab-size)."""
    expanded = line.expandtabs(8)
    return min(len(expanded) - len(expanded.lstrip(" ")), MAX_INDENT)


def highlighted_lines(code, language):
    """Pygments HTML of `code`, one string per source line, and the source lines themselves.

    Pygments closes and reopens its spans at every line end, so each line stands alone.
    """
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    lexer.stripnl = False
    html = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return html.rstrip("\n").split("\n"), code.split("\n")


def code_block(code, language, line_range=""):
    """The lines `line_range` (parse_line_range) of the highlighted code, each in its own
    <span class="line indent-N">, the line's newline inside it (copied text is the code's)."""
    lines, source = highlighted_lines(code, language)
    first, last = parse_line_range(line_range, len(lines))
    spans = []
    for number in range(first, last + 1):
        indent = indent_of(source[number - 1]) if number <= len(source) else 0
        classes = f"line indent-{indent}" if indent else "line"
        spans.append(f'<span class="{classes}">{lines[number - 1]}\n</span>')
    return f'<div class="highlight"><pre><code>{"".join(spans)}</code></pre></div>'


# ---- Code on a slide: a range of lines, and highlight steps that → walks through ----

LINE_RANGE = re.compile(r"^\s*(\d{1,4})\s*(?:-\s*(\d{1,4}))?\s*$")
STEP = r"(?:all|\d{1,4}(?:-\d{1,4})?(?:,\d{1,4}(?:-\d{1,4})?)*)"
STEPS = re.compile(rf"^{STEP}(?:\|{STEP})*$")


def parse_line_range(text, total):
    """ "5-20" (or "7") as (first, last), 1-based and inclusive; blank means every line.

    Raises ValueError for a range outside 1..total or written backwards.
    """
    if not (text or "").strip():
        return 1, total
    match = LINE_RANGE.match(text)
    if not match:
        raise ValueError("Write a line range as first-last, e.g. 5-20.")
    first = int(match[1])
    last = int(match[2] or match[1])
    if not 1 <= first <= last <= total:
        raise ValueError(f"The code has {total} lines: choose a range within 1-{total}.")
    return first, last


def parse_steps(text, total):
    """ "1-4|6-9|all" as a list of sets of line numbers (1-based); blank means no steps.

    Raises ValueError for bad syntax or a line the code does not have.
    """
    text = (text or "").replace(" ", "")
    if not text:
        return []
    if not STEPS.match(text):
        raise ValueError("Write steps as line ranges separated by |, e.g. 1-4|6-9|all.")
    steps = []
    for step in text.split("|"):
        if step == "all":
            steps.append(set(range(1, total + 1)))
            continue
        lines = set()
        for part in step.split(","):
            first, _, last = part.partition("-")
            first, last = int(first), int(last or first)
            if not 1 <= first <= last <= total:
                raise ValueError(f"Step “{step}”: the code has lines 1-{total}.")
            lines.update(range(first, last + 1))
        steps.append(lines)
    return steps


def code_lines(code):
    return code.rstrip("\n").split("\n") if code else []


def highlight_slide_lines(code, language, line_range="", label="Code sample"):
    """The sample as a slide shows it: lines `line_range` only, each a `.line` (code_block).

    The whole code is highlighted (a range starting inside a string keeps its colours), then
    cut. The spans let the deck dim the lines a highlight step does not pick.
    """
    return sanitize(code_block(code, language, line_range), code_label=label, code_role="region")
