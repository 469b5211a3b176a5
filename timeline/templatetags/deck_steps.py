"""A code sample's highlight steps as the deck reads them (slide-steps.js applies them)."""

import json

from django import template

from ..build_steps import highlights

register = template.Library()


@register.filter
def highlights_json(sample):
    """JSON: one list of line numbers per highlight step, null for "all"."""
    return json.dumps(highlights(sample), separators=(",", ":"))
