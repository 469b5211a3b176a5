"""What a revision of an era holds (django-reversion), registered in one place.

A revision of an era holds its slides, samples, references and its relations both ways
(those it states and those that name it), so reverting it also puts back the relations it
had and removes ones added since. Registered here rather than left to VersionAdmin's guess
from the admin's inlines, which would stop following the relations if their inline went.
"""

import reversion

from .models import Era, EraRelation

ERA_FOLLOWS = ["slides", "samples", "references", "relations", "inverse_relations"]


def register():
    """Register Era and EraRelation (the others are registered by their VersionAdmins)."""
    if not reversion.is_registered(EraRelation):
        reversion.register(EraRelation)
    if not reversion.is_registered(Era):
        reversion.register(Era, follow=ERA_FOLLOWS)
