"""The health report's findings: what the last full check_slides, check_samples and
check_exercises found wrong, one row per slide, sample or exercise to fix (state, not content:
never exported, never a reason to re-render a page)."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class HealthCheck(models.TextChoices):
    SLIDES = "slides", "Slides that do not fit"
    SAMPLES = "samples", "Samples whose output differs"
    EXERCISES = "exercises", "Exercises whose checks fail"


class HealthRun(models.Model):
    """When a check last ran over all the content, and what it counted."""

    kind = models.CharField(max_length=12, choices=HealthCheck.choices, unique=True)
    finished = models.DateTimeField()
    checked = models.PositiveIntegerField(help_text="Slides, samples or exercises it checked.")
    failed = models.PositiveIntegerField()

    class Meta:
        ordering = ["kind"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.failed} of {self.checked}"


class HealthFinding(models.Model):
    """One row a check found wrong, and why, in the check's own words."""

    kind = models.CharField(max_length=12, choices=HealthCheck.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    row = GenericForeignKey("content_type", "object_id")
    label = models.CharField(max_length=300)
    message = models.TextField()

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = "health report"
        verbose_name_plural = "health report"

    def __str__(self):
        return f"{self.label}: {self.message[:80]}"
