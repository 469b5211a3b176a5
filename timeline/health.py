"""The admin's health report: the content checks record what they find here, and the report
reads it back with links to the rows to fix.

A full run of a check (every deck, sample or exercise, not one picked by an option) replaces
that check's findings in one transaction, so the report always shows one whole run of each."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import CodeSample, HealthCheck, HealthFinding, HealthRun


@transaction.atomic
def record(check, checked, findings):
    """Replace `check`'s findings with `findings`: [(row, label, message)], one per row (rows
    found more than once, e.g. a slide failing in several decks, have their messages joined)."""
    merged = {}
    for row, label, message in findings:
        key = (ContentType.objects.get_for_model(row, for_concrete_model=False), row.pk)
        if key in merged:
            if message not in merged[key][1]:
                merged[key][1].append(message)
        else:
            merged[key] = (label, [message])
    HealthFinding.objects.filter(kind=check).delete()
    HealthFinding.objects.bulk_create(
        HealthFinding(
            kind=check,
            content_type=content_type,
            object_id=pk,
            label=label[:300],
            message="\n".join(messages),
        )
        for (content_type, pk), (label, messages) in merged.items()
    )
    HealthRun.objects.update_or_create(
        kind=check,
        defaults={"finished": timezone.now(), "checked": checked, "failed": len(merged)},
    )


def never_recorded():
    """Runnable samples with no expected output: nothing to compare a run with."""
    samples = CodeSample.objects.exclude(runtime="none").filter(historical=False)
    return samples.filter(expected_output__regex=r"^\s*$").select_related("era")


def report():
    """[(check, its last run or None, its findings)] in the order of HealthCheck."""
    runs = {run.kind: run for run in HealthRun.objects.all()}
    findings = {}
    for finding in HealthFinding.objects.select_related("content_type"):
        findings.setdefault(finding.kind, []).append(finding)
    return [(check, runs.get(check.value), findings.get(check.value, [])) for check in HealthCheck]
