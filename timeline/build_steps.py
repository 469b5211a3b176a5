"""A slide's build steps, counted once on the server from the slide as rendered.

Two kinds of build: on a slide with fragments, each top-level bullet of its body is revealed
in turn; then each code sample with highlight steps ("3-4|6-8|all") lights its next group of
lines. The deck, the speaker view, the print view, the remote and the live session all read
the result from here (deck-slides.js and slide-steps.js only apply it), so no two of them can
count differently.

Numbering, the same everywhere: step 0 is the slide as it opens (no bullet, each sample's
first highlight), step k has made k builds, and a slide with N builds has steps 0..N.
"""

from html.parser import HTMLParser

from . import rendering

VOID_TAGS = {"br", "hr", "img", "wbr"}
LIST_TAGS = {"ul", "ol"}


class _TopBullets(HTMLParser):
    """Counts the <li> of the lists at the top of a body (`.slide-body > ul > li`)."""

    def __init__(self):
        super().__init__()
        self.open = []
        self.count = 0

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            return
        if tag == "li" and len(self.open) == 1 and self.open[0] in LIST_TAGS:
            self.count += 1
        self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:  # close it and anything left open inside it
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]


def top_bullets(body_html):
    """How many bullets a slide with fragments reveals: nested items come with their parent."""
    parser = _TopBullets()
    parser.feed(body_html or "")
    parser.close()
    return parser.count


def highlights(sample):
    """A sample's highlight steps as lists of line numbers (None for "all": nothing dimmed);
    [] when the slide shows its code whole (no line markup) or the steps do not parse."""
    text = (getattr(sample, "slide_steps", "") or "").replace(" ", "")
    if not text or not getattr(sample, "slide_html", ""):
        return []
    try:
        groups = rendering.parse_steps(text, len(rendering.code_lines(sample.code)))
    except ValueError:
        return []  # clean() tells the editor; the slide shows its first lines unstepped
    parts = text.split("|")
    return [
        None if part == "all" else sorted(lines) for part, lines in zip(parts, groups, strict=True)
    ]


def slide_builds(slide, samples):
    """The number of builds of a slide (`slide` None for an era's title slide: none)."""
    if slide is None:
        return 0
    bullets = top_bullets(slide.body_html) if slide.fragments else 0
    return bullets + sum(max(len(highlights(sample)) - 1, 0) for sample in samples)
