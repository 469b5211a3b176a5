"""The admin's own pages beyond Django's and django-reversion's: revisions compared
(history) and reverted (revert), the fixtures export (export), a sample's Run and Record
(runs). Each is a function of the request, the URL's arguments and its ModelAdmin."""

import functools


def admin_page(model_admin, view):
    """`view(request, ..., model_admin=...)` as a page of `model_admin`: behind the admin
    site's login and staff check, with its ModelAdmin passed in."""
    return model_admin.admin_site.admin_view(functools.partial(view, model_admin=model_admin))
