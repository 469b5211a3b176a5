"""The addresses editors choose for eras, talks and exercises."""

import re

# Lowercase words joined by single hyphens: a slug is an address and a fixture file's name, and
# "UPPER-Case" or "-" would make two spellings of one page.
ADDRESS_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_CHARACTERS = re.compile(r"[-a-zA-Z0-9_]+")


def slug_errors(slug):
    """{"slug": message} when `slug` is not lowercase words joined by hyphens, else {}."""
    if not slug or not SLUG_CHARACTERS.fullmatch(slug):
        return {}  # the field's own validator names what is wrong
    if not ADDRESS_SLUG.fullmatch(slug):
        return {
            "slug": "Use lowercase letters, digits and single hyphens between words, "
            "e.g. “http-1-0”."
        }
    return {}
