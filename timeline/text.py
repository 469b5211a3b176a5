"""One shape for stored multi-line text: LF line ends and exactly one final newline.

Browsers post a textarea with CRLF line ends, and Django's form fields strip the final
newline; either way a save that changed nothing would rewrite every fixture. Every
multi-line field (markdown, code, requests, recorded output) is kept in this shape, so a
save through the admin, a fixture load and a dump all give the same bytes.

How pages treat the final newline (it changes nothing visible):
- markdown renders the same with or without it, and Pygments drops trailing newlines;
- in a <pre> or a <textarea> one final newline adds no visible line;
- a request's final newline ends the text, not the body (runner/request.py); pages show a
  request as HTTP sends it (CodeSample.request_as_sent), exactly as before this rule.
"""

import re

LINE_ENDS = re.compile(r"\r\n?")


def normalize_newlines(text):
    """CRLF and lone CR become LF, as a browser's CRLF post is read back."""
    return LINE_ENDS.sub("\n", text)


def normalize_text(text, final_newline=True, blank_lines_at_end=False):
    """LF line ends and exactly one final newline; blank text is stored empty.

    With final_newline=False (plain prose such as a talk's description, shown inside a <p>)
    the text is stripped at both ends instead, as Django's CharField would. With
    blank_lines_at_end=True, empty lines at the end are kept (a request typed by hand ends with
    one: the empty line that ends its headers); the text still ends with a newline."""
    if text is None:
        return text
    text = normalize_newlines(str(text))
    if not text.strip():
        return ""
    if not final_newline:
        return text.strip()
    if blank_lines_at_end:
        return text if text.endswith("\n") else text + "\n"
    return text.rstrip("\n") + "\n"
