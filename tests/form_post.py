"""Submit an HTML form the way a browser does, from the page's own markup.

The HTML standard's form data set: every enabled control of the form in document order; a
textarea loses the one newline that follows its start tag and is sent with CRLF line ends; a
select sends its selected options (a single select with none marked sends its first); a
checkbox only when checked; the submit button pressed adds its own name. Used to prove that
saving an unchanged admin page changes nothing.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

from django.test import Client

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


def crlf(text):
    return re.sub(r"\r\n|\r|\n", "\r\n", text)


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.depth = form_id, False, 0
        self.pairs = []  # (name, value) in document order; selects filled in at their end
        self._textarea = self._select = self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        disabled = "disabled" in attrs
        name = attrs.get("name")
        if tag == "input" and name and not disabled:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.pairs.append((name, attrs.get("value", "on")))
            elif kind not in SKIPPED_INPUTS:
                self.pairs.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name and not disabled:
            self._textarea = [name, []]
        elif tag == "select" and name and not disabled:
            self._select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, []]
            self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            # The parser drops one newline right after <textarea>: it is markup, not value.
            text = text[2:] if text.startswith("\r\n") else text[1:] if text[:1] == "\n" else text
            self.pairs.append((name, crlf(text)))
            self._textarea = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [o for o in options if o[1]]
            if not chosen and options and not self._select["multiple"]:
                chosen = options[:1]
            for value, _, text in chosen:
                value = value if value is not None else " ".join("".join(text).split())
                self.pairs.append((self._select["name"], value))
            self._select = None


def form_pairs(html, form_id, submit=("_save", "Save")):
    """The (name, value) pairs a browser posts for the form with this id."""
    parser = _FormParser(form_id)
    parser.feed(html)
    pairs = parser.pairs
    if submit:
        pairs.append(submit)
    return pairs


def post_form(client, url, form_id, change=None, **kwargs):
    """GET url, then POST its form back as a browser would (urlencoded); change(pairs) may
    edit the pairs first. Returns the POST's response."""
    page = client.get(url)
    assert page.status_code == 200, url
    pairs = form_pairs(page.content.decode(), form_id)
    if change:
        pairs = change(pairs)
    return client.post(
        url, urlencode(pairs), content_type="application/x-www-form-urlencoded", **kwargs
    )


def set_values(values):
    def change(pairs):
        return [(name, values.get(name, value)) for name, value in pairs]

    return change


def add_row(prefix, **fields):
    """A change(pairs) that adds one row to the `prefix` inline as "Add another" does: the
    empty form's fields under the next index, TOTAL_FORMS one up, `fields` filled in."""

    def change(pairs):
        total = int(dict(pairs)[f"{prefix}-TOTAL_FORMS"])
        template = f"{prefix}-__prefix__-"
        new = [
            (f"{prefix}-{total}-{name[len(template) :]}", value)
            for name, value in pairs
            if name.startswith(template)
        ]
        new = [(name, fields.pop(name.rsplit("-", 1)[1], value)) for name, value in new]
        new += [(f"{prefix}-{total}-{name}", value) for name, value in fields.items()]
        pairs = set_values({f"{prefix}-TOTAL_FORMS": str(total + 1)})(pairs)
        return pairs + new

    return change


def editors(django_user_model, *names):
    clients = []
    for name in names:
        user = django_user_model.objects.create_superuser(name, f"{name}@example.org", "pw")
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def post_pairs(client, url, pairs):
    return client.post(url, urlencode(pairs), content_type="application/x-www-form-urlencoded")


def opened(client, url, form_id, change):
    """The pairs the editor's browser will post: the page as it was when they opened it,
    with their edits."""
    page = client.get(url)
    assert page.status_code == 200
    return change(form_pairs(page.content.decode(), form_id))
