"""What a revision of an era or an exercise holds (django-reversion), registered in one place.

A revision of an exercise holds its checks and wrong answers, so reverting it puts back the
checks it had, in their order, and removes ones added since.

A revision of an era holds its slides, samples, references and its relations both ways
(those it states and those that name it), so reverting it also puts back the relations it
had and removes ones added since. Registered here rather than left to VersionAdmin's guess
from the admin's inlines, which would stop following the relations if their inline went.

Reversion records the state after each save, so the state before an object's first save in
the admin (as the fixtures loaded it) would be in no revision, and the first edit could never
be reverted: `record_first_state` records it first. A change made outside the era's change
form (Record, the "Run and record" action) is kept as a revision of the era by `keep_revision`;
a save on a slide's, sample's or reference's own page, or of a talk's notes, adds the eras it
touched to its revision (`add_eras`), so every change shows in the era's History.
"""

import contextvars
from datetime import timedelta

import reversion
from reversion.models import Version

from .models import (
    CodeSample,
    Era,
    EraRelation,
    Exercise,
    ExerciseCheck,
    ExerciseWrongAnswer,
    Reference,
    Slide,
    TalkNote,
)

ERA_FOLLOWS = ["slides", "samples", "references", "relations", "inverse_relations"]

# A slide's talk notes go with it: deleting the slide deletes them (CASCADE), so the revision
# before the deletion must hold them for a revert to bring them back.
FOLLOWS = {
    EraRelation: [],
    TalkNote: [],
    CodeSample: [],
    Reference: [],
    Slide: ["talk_notes"],
    Era: ERA_FOLLOWS,
    ExerciseCheck: [],
    ExerciseWrongAnswer: [],
    Exercise: ["checks", "wrong_answers"],
}


def register():
    """Register the era, the exercise and what their revisions hold, before any VersionAdmin
    would register them with follows of its own guess (the talk's admin registers Talk and
    TalkEra)."""
    for model, follow in FOLLOWS.items():
        if not reversion.is_registered(model):
            reversion.register(model, follow=follow)


def add_eras(eras):
    """Add `eras` (with everything they follow, as they are now) to the open revision, so
    a change made on another object's page is a revision of each era it touched too."""
    for era in eras:
        if era is not None:
            reversion.add_to_revision(era)


FIRST_STATE_COMMENT = "As it was before its first change in the admin."


def record_first_state(obj):
    """Before `obj` is first changed in the admin, record its current state as a revision of
    its own (with no author: nobody made it here). It is a revision of its own even when
    called inside the edit's block (see keep_revision)."""
    if obj is None or Version.objects.get_for_object(obj).exists():
        return
    # An open revision is dated when it opened: the state before it must be dated earlier, or
    # History would list it as the newest.
    edit_opened = reversion.get_date_created() if reversion.is_active() else None

    def keep():
        with reversion.create_revision():
            if edit_opened is not None:
                reversion.set_date_created(edit_opened - timedelta(microseconds=1))
            reversion.set_comment(FIRST_STATE_COMMENT)
            reversion.add_to_revision(obj)

    contextvars.Context().run(keep)


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
