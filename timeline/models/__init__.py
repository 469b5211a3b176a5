"""The timeline app's models, one module per domain, all under the one app label "timeline":

- content.py: eras, their relations, slides and references (with the validators they share);
- samples.py: code samples, which the runner runs;
- talks.py: talks, their eras and their own speaker notes;
- exercises.py: exercises, their hidden checks and the wrong answers they must refuse;
- live.py: live sessions (state, not content);
- health.py: what the last full content checks found wrong (state, not content);
- drafts.py: an era's draft, unpublished (state, not content).

Every public name is imported here, so `from timeline.models import Era` works, and migrations
name validators as `timeline.models.validate_year`.
"""

from .content import (
    CHRONOLOGICAL,
    FIRST_YEAR,
    ORDER_VALIDATORS,
    RESERVED_ERA_SLUGS,
    TIMELINE_FIELDS,
    ContentModel,
    Era,
    EraPart,
    EraQuerySet,
    EraRelation,
    EraRelationQuerySet,
    NaturalKeyManager,
    Reference,
    Slide,
    chronological_order,
    related_eras,
    validate_lexer_alias,
    validate_year,
)
from .drafts import EraDraft
from .exercises import (
    HINT_BREAK,
    Exercise,
    ExerciseCheck,
    ExerciseQuerySet,
    ExerciseWrongAnswer,
    header_lines,
)
from .health import HealthCheck, HealthFinding, HealthRun
from .live import LiveSession
from .samples import CodeSample
from .talks import Talk, TalkEra, TalkNote


def _concrete_models(base):
    """The models built on `base`, directly or through an abstract base such as EraPart."""
    for model in base.__subclasses__():
        if not model._meta.abstract:
            yield model
        yield from _concrete_models(model)


# Everything editors change: a save or delete of any of these makes every cached page stale.
# The models built on ContentModel, each after the models it points to (each is defined after
# them), once every module above has defined its own.
CONTENT_MODELS = tuple(_concrete_models(ContentModel))

__all__ = [
    "CHRONOLOGICAL",
    "CONTENT_MODELS",
    "FIRST_YEAR",
    "HINT_BREAK",
    "ORDER_VALIDATORS",
    "RESERVED_ERA_SLUGS",
    "TIMELINE_FIELDS",
    "CodeSample",
    "ContentModel",
    "Era",
    "EraDraft",
    "EraPart",
    "EraQuerySet",
    "EraRelation",
    "NaturalKeyManager",
    "EraRelationQuerySet",
    "Exercise",
    "ExerciseCheck",
    "ExerciseQuerySet",
    "ExerciseWrongAnswer",
    "HealthCheck",
    "HealthFinding",
    "HealthRun",
    "LiveSession",
    "Reference",
    "Slide",
    "Talk",
    "TalkEra",
    "TalkNote",
    "chronological_order",
    "header_lines",
    "related_eras",
    "validate_lexer_alias",
    "validate_year",
]
