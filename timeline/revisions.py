"""What a revision of an era holds (django-reversion), registered in one place.

A revision of an era holds its slides, samples, references and its relations both ways
(those it states and those that name it), so reverting it also puts back the relations it
had and removes ones added since. Registered here rather than left to VersionAdmin's guess
from the admin's inlines, which would stop following the relations if their inline went.

Reversion records the state after each save, so the state before an object's first save in
the admin (as the fixtures loaded it) would be in no revision, and the first edit could never
be reverted: `record_first_state` records it first. A change made outside the era's change
form (the "Run and record" action) is kept as a revision of the era by `keep_revision`.
"""

import contextvars

import reversion
from reversion.models import Version

from .models import Era, EraRelation

ERA_FOLLOWS = ["slides", "samples", "references", "relations", "inverse_relations"]


def register():
    """Register Era and EraRelation (the others are registered by their VersionAdmins)."""
    if not reversion.is_registered(EraRelation):
        reversion.register(EraRelation)
    if not reversion.is_registered(Era):
        reversion.register(Era, follow=ERA_FOLLOWS)


FIRST_STATE_COMMENT = "As it was before its first change in the admin."


def record_first_state(obj):
    """Before `obj` is first changed in the admin, record its current state as a revision of
    its own (with no author: nobody made it here). Call it outside the edit's revision."""
    if obj is None or Version.objects.get_for_object(obj).exists():
        return
    with reversion.create_revision():
        reversion.set_comment(FIRST_STATE_COMMENT)
        reversion.add_to_revision(obj)


def keep_revision(era, user, change):
    """Run `change()` and keep the era after it (with everything it follows) as a revision of
    its own by `user`; `change()` returns the revision's comment, or None when it changed
    nothing (then no revision is kept). The era's state before is recorded first if no
    revision holds it yet, so the change can be reverted. Returns the comment.

    The revision is the era's own even inside another revision block: the admin's changelist
    wraps its actions in one, and a nested block would merge every era's change into that
    single revision, which no era's History lists. So the change runs in a fresh context,
    where reversion (whose open revisions are a context variable) sees no enclosing block;
    the database transaction around it is the caller's as before."""

    def run():
        record_first_state(era)
        with reversion.create_revision():
            comment = change()
            if comment is not None:
                reversion.set_user(user)
                reversion.set_comment(comment)
                reversion.add_to_revision(era)
        return comment

    return contextvars.Context().run(run)
