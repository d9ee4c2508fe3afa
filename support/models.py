"""The support center's log, the schools' requests and the planned campaigns.

A scheduled visit is a SupportRequest in the `scheduled` state, whether a school
asked for it or the leader planned it in a campaign: the calendar, the iCalendar
feed and "logging closes the request" then work the same way for both.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gigaportal.models import School
from gigaportal.outbox import OutboxItem
from gigaportal.roles import CENTER_STAFF_ROLES
from gigaportal.scope import ScopedQuerySet
from support import rules

# Who may be named as staff (center staff: gigaportal.roles), for admin's choices too.
CENTER_STAFF = {"role__in": sorted(CENTER_STAFF_ROLES)}


class Kind(models.TextChoices):
    ONLINE = rules.Kind.ONLINE.value, _("Online support")
    VISIT = rules.Kind.VISIT.value, _("Visit support")
    TRAINING = rules.Kind.TRAINING.value, _("Training support")


class Status(models.TextChoices):
    REQUESTED = rules.Status.REQUESTED.value, _("Requested")
    SCHEDULED = rules.Status.SCHEDULED.value, _("Scheduled")
    DONE = rules.Status.DONE.value, _("Done")
    CANCELLED = rules.Status.CANCELLED.value, _("Cancelled")


class Topic(models.Model):
    """What a visit was about; the list is kept in admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("support topic")
        verbose_name_plural = _("support topics")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """Visits the leader plans for a period, e.g. an iPadOS update in August."""

    name = models.CharField(_("name"), max_length=200)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    kind = models.CharField(
        _("support kind"), max_length=20, choices=Kind.choices, default=Kind.VISIT
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.PROTECT, null=True, blank=True
    )
    schools = models.ManyToManyField(School, verbose_name=_("schools"), related_name="+")
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        related_name="+",
        limit_choices_to=CENTER_STAFF,
    )
    details = models.TextField(_("details"), blank=True, max_length=4000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-start", "id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lte=models.F("end")), name="campaign_start_before_end"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SupportRequest(models.Model):
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(
        _("support kind"), max_length=20, choices=Kind.choices, default=Kind.VISIT
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.PROTECT, null=True, blank=True
    )
    preferred_date_1 = models.DateField(_("preferred date"), null=True, blank=True)
    preferred_date_2 = models.DateField(_("second preferred date"), null=True, blank=True)
    preferred_date_3 = models.DateField(_("third preferred date"), null=True, blank=True)
    details = models.TextField(_("details"), blank=True, max_length=4000)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    assigned_staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned staff"),
        related_name="assigned_support_requests",
        limit_choices_to=CENTER_STAFF,
        blank=True,
    )
    scheduled_date = models.DateField(_("scheduled date"), null=True, blank=True)
    scheduled_time = models.TimeField(_("scheduled time"), null=True, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        indexes = [
            models.Index(fields=["status", "scheduled_date"]),
            models.Index(fields=["school", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.SCHEDULED) | Q(scheduled_date__isnull=False),
                name="scheduled_request_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_STATUSES

    @property
    def preferred_dates(self) -> list:
        return [
            d for d in (self.preferred_date_1, self.preferred_date_2, self.preferred_date_3) if d
        ]


class RequestEvent(models.Model):
    """Every state change of a request: who moved it, when, from what to what."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="events")
    # Null when the command line or the system made the change (see the change log).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    school_path = "request__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        before = self.get_from_status_display() or "—"
        return f"#{self.request_id} {before} → {self.get_to_status_display()}"


class RequestComment(models.Model):
    """A note on a request, from the school that asked or from the center: the visit's
    details, a change of plan, a question."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="comments")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("comment"), max_length=2000)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    school_path = "request__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment on a request")
        verbose_name_plural = _("comments on requests")

    def __str__(self) -> str:
        return f"#{self.request_id} {self.text[:40]}"


class SupportRecord(models.Model):
    """One piece of support given: a visit, online help or a training session."""

    date = models.DateField(_("date"), db_index=True)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        related_name="support_records",
        limit_choices_to=CENTER_STAFF,
    )
    kind = models.CharField(_("support kind"), max_length=20, choices=Kind.choices)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    what_was_done = models.TextField(_("what was done"), blank=True, max_length=4000)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    request = models.ForeignKey(
        SupportRequest,
        verbose_name=_("request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="records",
    )
    # Null for records imported from the command line.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-start_time", "-id"]
        verbose_name = _("support record")
        verbose_name_plural = _("support records")
        indexes = [
            models.Index(fields=["date", "kind"]),
            models.Index(fields=["school", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.school} {self.get_kind_display()}"


class RequestEmail(OutboxItem):
    """An e-mail to a school about its request (its visit is scheduled), written in
    the transaction that scheduled the visit and sent after commit through the one
    outbox (gigaportal.outbox): claimed before sending, marked sent only once the mail
    server took it; a worker dying mid-send leaves it flagged for a person."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="emails")
    recipient = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))

    task_name = "support.tasks.send_request_emails"
    max_attempts = 5
    school_path = "request__school"
    objects = ScopedQuerySet.as_manager()

    class Meta(OutboxItem.Meta):
        ordering = ["created_at", "id"]
        verbose_name = _("e-mail to a school")
        verbose_name_plural = _("e-mails to schools")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"


def feed_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedToken(models.Model):
    """A staff member's private iCalendar address. Only a digest of the secret is
    stored: the address is shown once, when it is made, and a leaked one is revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="one_live_feed_token"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({'revoked' if self.revoked_at else 'active'})"
