"""Cellular lines, their monthly usage, and the heavy-usage cases with their outbox.

Usage is stored in MB (3 decimals) so that both carrier formats are exact: a GB
figure with up to three decimals times 1,024 and an MB figure with up to three
decimals are both representable, and the thresholds (GB × 1,024) compare exactly
at their inclusive bounds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gigaportal import dates
from gigaportal.calendar import Month
from gigaportal.models import School
from gigaportal.outbox import OutboxItem
from gigaportal.scope import ScopedQuerySet
from gigaportal.versions import VersionedQuerySet
from traffic import escalation
from traffic.parsing import MB_PER_GB


def month_of(day: dt.date) -> Month:
    return Month(day.year, day.month)


class Policy(models.Model):
    """A version of the heavy-usage policy. The one in force for a month is the latest
    whose effective month is not after it; earlier versions stay for the record. The
    rules for changing one (a used version keeps its figures) are in
    traffic.services.policy_set, which admin calls too."""

    effective_from = models.DateField(
        _("effective from (month)"), unique=True, help_text=_("The first day of the month.")
    )
    single_gb = models.DecimalField(
        _("single-month threshold (GB)"), max_digits=8, decimal_places=2, default=Decimal(200)
    )
    consecutive_gb = models.DecimalField(
        _("consecutive-months threshold (GB)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal(100),
    )
    gb_per_line = models.DecimalField(
        _("GB per line"), max_digits=8, decimal_places=2, default=Decimal(5)
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Versions by effective date, the same mechanism as the security policy's.
    objects = VersionedQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("usage policy")
        verbose_name_plural = _("usage policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(single_gb__gt=0, consecutive_gb__gt=0, gb_per_line__gt=0),
                name="traffic_policy_positive",
                violation_error_message=_(
                    "The thresholds and the GB per line must be greater than 0."
                ),
            ),
        ]

    def __str__(self) -> str:
        since = dates.month_text(Month.of(self.effective_from))
        return f"{since}〜 ({self.single_gb}/{self.consecutive_gb} GB)"

    def as_rule(self) -> escalation.Policy:
        return escalation.Policy(
            effective_from=month_of(self.effective_from),
            single_gb=self.single_gb,
            consecutive_gb=self.consecutive_gb,
            gb_per_line=self.gb_per_line,
        )


class Line(models.Model):
    """A pupil iPad's cellular line (070-XXXX-XXXX). The pupil is not named here: the
    school knows whose iPad it is."""

    number = models.CharField(_("line number"), max_length=20, unique=True)
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="traffic_lines",
    )

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("line")
        verbose_name_plural = _("lines")

    def __str__(self) -> str:
        return self.number


class MonthlyUsage(models.Model):
    # No index of its own: the unique (line, month) index starts with the line, and
    # one index fewer to maintain matters when a month brings 300,000 rows.
    # No database foreign key either (db_constraint=False): measured on 300,000 rows,
    # its deferred checks (one trigger event and one key-share row lock per row, run
    # at COMMIT) took 1.1-1.5 s, a quarter of the whole import. Integrity holds without
    # it: the only writer of this table is traffic.importing (file imports, demo data),
    # whose INSERT takes each row's line_id from a JOIN with traffic_line while holding
    # a SHARE ROW EXCLUSIVE lock on traffic_line, so no line can be deleted between
    # the join and the commit; deleting a line through Django cascades here (on_delete
    # is applied by Django, not by the database).
    line = models.ForeignKey(
        Line,
        verbose_name=_("line"),
        on_delete=models.CASCADE,
        related_name="usages",
        db_index=False,
        db_constraint=False,
    )
    month = models.DateField(_("month"))
    usage_mb = models.DecimalField(_("usage (MB)"), max_digits=14, decimal_places=3)

    school_path = "line__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["month", "line"]
        verbose_name = _("monthly usage")
        verbose_name_plural = _("monthly usage")
        constraints = [
            models.UniqueConstraint(fields=["line", "month"], name="traffic_one_usage_a_month"),
            models.CheckConstraint(condition=Q(usage_mb__gte=0), name="traffic_usage_not_negative"),
        ]
        # The evaluation's "at or above the threshold" in a month. Usage first: on
        # PostgreSQL each month is its own partition (its month is one value), and
        # an index led by the month sorted 300,000 numerics with no abbreviated keys
        # (0.37 s to build against 0.14 s this way round, benchmarks/traffic_import.py).
        indexes = [models.Index(fields=["usage_mb", "month"], name="traffic_usage_mb_month")]

    def __str__(self) -> str:
        return f"{self.line_id} {dates.month_text(Month.of(self.month))}"

    @property
    def usage_gb(self) -> Decimal:
        return self.usage_mb / MB_PER_GB


class MonthlyTotal(models.Model):
    """A month's usage per school: the sum and the number of usage rows of the lines
    that belong to the school now (school empty: lines without one). The pages, chart
    and downloads of usage read these few rows instead of every line's. Written only
    by traffic.services.totals, in the transaction that changes what they sum (a
    month imported or replaced, a line moved to another school)."""

    month = models.DateField(_("month"))
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    total_mb = models.DecimalField(_("usage (MB)"), max_digits=18, decimal_places=3)
    lines = models.PositiveIntegerField(_("lines"))

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["month", "school"]
        verbose_name = _("monthly total")
        verbose_name_plural = _("monthly totals")
        constraints = [
            # Two partial constraints, since NULLS NOT DISTINCT is PostgreSQL's only.
            models.UniqueConstraint(
                fields=["month", "school"],
                condition=Q(school__isnull=False),
                name="traffic_one_total_a_month_and_school",
            ),
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(school__isnull=True),
                name="traffic_one_schoolless_total_a_month",
            ),
        ]

    def __str__(self) -> str:
        return dates.month_text(Month.of(self.month))


class UsageMonth(models.Model):
    """The state of one imported month: what its file(s) covered, and whether it may be
    evaluated. Written only by traffic.services.months (the import, in its transaction;
    the leader's confirm and reopen; the evaluation).

    imported: in, not yet confirmed (a file covering too few of the lines under
    contract waits for the leader); confirmed: by the leader, or on its own when the
    coverage reached TRAFFIC_AUTO_CONFIRM_COVERAGE; evaluated: its cases and actions
    are written. The lines under contract are the lines of the latest earlier month
    with data (a confirmed one first), or every known line for the first month."""

    class Status(models.TextChoices):
        IMPORTED = "imported", _("imported, not confirmed")
        CONFIRMED = "confirmed", pgettext_lazy("usage month", "confirmed")
        EVALUATED = "evaluated", pgettext_lazy("usage month", "evaluated")

    month = models.DateField(_("month"), unique=True)
    lines = models.PositiveIntegerField(_("lines in the file"), default=0)
    contracted_lines = models.PositiveIntegerField(_("lines under contract"), default=0)
    covered_lines = models.PositiveIntegerField(_("lines under contract in the file"), default=0)
    coverage_pct = models.DecimalField(
        _("coverage (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    total_mb = models.DecimalField(_("usage (MB)"), max_digits=18, decimal_places=3, default=0)
    compared_with = models.DateField(_("compared with (month)"), null=True, blank=True)
    previous_mb = models.DecimalField(
        _("usage of the month compared with (MB)"),
        max_digits=18,
        decimal_places=3,
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.IMPORTED
    )
    confirmed_automatically = models.BooleanField(_("confirmed automatically"), default=False)
    confirmed_by = models.CharField(_("confirmed by"), max_length=150, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("usage month")
        verbose_name_plural = _("usage months")

    def __str__(self) -> str:
        return dates.month_text(Month.of(self.month))

    @property
    def month_value(self) -> Month:
        return Month.of(self.month)

    @property
    def total_gb(self) -> Decimal:
        return self.total_mb / MB_PER_GB

    @property
    def previous_gb(self) -> Decimal | None:
        return None if self.previous_mb is None else self.previous_mb / MB_PER_GB

    @property
    def gb_ratio_pct(self) -> Decimal | None:
        if not self.previous_mb:
            return None
        return self.total_mb * 100 / self.previous_mb

    @property
    def is_complete(self) -> bool:
        """Whether the coverage reaches the automatic confirmation's threshold."""
        return (
            self.coverage_pct is not None
            and self.coverage_pct >= settings.TRAFFIC_AUTO_CONFIRM_COVERAGE
        )


class Evaluation(models.Model):
    """One evaluated month. Its unique month is what makes a second evaluation (even a
    concurrent one) a no-op."""

    month = models.DateField(_("month"), unique=True)
    policy = models.ForeignKey(Policy, verbose_name=_("policy"), on_delete=models.PROTECT)
    evaluated_at = models.DateTimeField(_("evaluated at"), auto_now_add=True)
    evaluated_by = models.CharField(_("evaluated by"), max_length=150, blank=True)
    opened = models.PositiveIntegerField(_("opened"), default=0)
    escalated = models.PositiveIntegerField(_("escalated"), default=0)
    continued = models.PositiveIntegerField(_("continued"), default=0)
    improved = models.PositiveIntegerField(_("improved"), default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return dates.month_text(Month.of(self.month))


STAGE_CHOICES = [
    (1, _("① caution message")),
    (2, _("② notice to the school")),
    (3, _("③ warning message")),
    (4, _("④ letter to the parents")),
]
STAGE_MARKS = {1: "①", 2: "②", 3: "③", 4: "④"}


class Case(models.Model):
    """A line's run of heavy-usage months, from its cohort month until it improves."""

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="cases"
    )
    cohort = models.DateField(_("cohort (month of entry)"))
    stage = models.PositiveSmallIntegerField(_("step"), choices=STAGE_CHOICES)
    closed_month = models.DateField(_("improved in"), null=True, blank=True)

    school_path = "line__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-cohort", "line"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            # A relapse opens a new case, never a second open one.
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(closed_month__isnull=True),
                name="traffic_one_open_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} {dates.month_text(Month.of(self.cohort))}"

    @property
    def is_open(self) -> bool:
        return self.closed_month is None

    @property
    def stage_mark(self) -> str:
        return STAGE_MARKS[self.stage]


class CaseStep(models.Model):
    """What happened to a case in one evaluated month (its timeline)."""

    TRANSITION_CHOICES = [
        (escalation.Transition.OPENED.value, _("opened")),
        (escalation.Transition.ESCALATED.value, _("escalated")),
        (escalation.Transition.CONTINUED.value, _("continuing")),
        (escalation.Transition.IMPROVED.value, _("improved")),
    ]

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="steps"
    )
    month = models.DateField(_("month"))
    transition = models.CharField(_("what happened"), max_length=20, choices=TRANSITION_CHOICES)
    stage = models.PositiveSmallIntegerField(_("step"), choices=STAGE_CHOICES)
    usage_mb = models.DecimalField(_("usage (MB)"), max_digits=14, decimal_places=3, default=0)

    school_path = "case__line__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["month"]
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        constraints = [
            models.UniqueConstraint(fields=["case", "month"], name="traffic_one_step_a_month"),
        ]
        indexes = [models.Index(fields=["month"], name="traffic_step_month")]

    def __str__(self) -> str:
        return (
            f"{self.case} {dates.month_text(Month.of(self.month))} {self.get_transition_display()}"
        )

    @property
    def status(self) -> str:
        if self.transition == escalation.Transition.IMPROVED:
            return "improved"
        return f"stage{self.stage}"

    @property
    def usage_gb(self) -> Decimal:
        return self.usage_mb / MB_PER_GB


ACTION_KIND_CHOICES = [
    (escalation.ActionKind.TABLET_CAUTION.value, _("caution message to the tablet")),
    (escalation.ActionKind.SCHOOL_NOTICE.value, _("notice to the school")),
    (escalation.ActionKind.TABLET_WARNING.value, _("warning message to the tablet")),
    (escalation.ActionKind.PARENT_LETTER.value, _("letter to the parents (via the school)")),
]


class Action(OutboxItem):
    """The outbox of the ladder: one outgoing action per case and step, written in the
    evaluation's transaction and sent afterwards (gigaportal.outbox)."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="actions"
    )
    stage = models.PositiveSmallIntegerField(_("step"), choices=STAGE_CHOICES)
    kind = models.CharField(_("kind"), max_length=20, choices=ACTION_KIND_CHOICES)
    month = models.DateField(_("month"))

    class Backend(models.TextChoices):
        OUTBOX_ONLY = "outbox-only", _("by staff from the MDM console")
        WEBHOOK = "webhook", _("to the MDM through its webhook")
        EMAIL = "email", _("by e-mail")
        DEMO = "demo", _("demo data (not sent)")

    backend = models.CharField(
        _("sent through"), max_length=20, choices=Backend.choices, blank=True
    )

    task_name = "traffic.tasks.deliver_actions"
    max_attempts = 6
    school_path = "case__line__school"
    objects = ScopedQuerySet.as_manager()

    class Meta(OutboxItem.Meta):
        ordering = ["-month", "case"]
        verbose_name = _("outgoing action")
        verbose_name_plural = _("outgoing actions")
        constraints = [
            # The guarantee that no step is ever sent twice: not one row per attempt,
            # one row per case and step, whatever the number of evaluations or workers.
            models.UniqueConstraint(fields=["case", "stage"], name="traffic_one_action_a_step"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case}"


class SchoolNotice(models.Model):
    """A notice (step ②) or a parents' letter (step ④) in the school's inbox; the
    school acknowledges it (who, when)."""

    action = models.OneToOneField(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="notice"
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="traffic_notices"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("school notice")
        verbose_name_plural = _("school notices")

    def __str__(self) -> str:
        return self.subject


class MessageText(models.Model):
    """The words of each action, editable in admin. `{line_number}`, `{month}`,
    `{usage_gb}` and `{school}` are filled in when the action is written."""

    kind = models.CharField(_("kind"), max_length=20, choices=ACTION_KIND_CHOICES, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("message text")
        verbose_name_plural = _("message texts")

    def __str__(self) -> str:
        return self.get_kind_display()
