"""Learner devices, their models, and the ledger of events that changes their status.

Statuses change only in devices.services.ledger_apply. The database backs the rules
the service checks: a deployed device has a school and nothing else does, and one
spare is issued at most once per spare cycle (UniqueConstraint on the issue), so two
staff issuing the same spare at the same moment cannot both succeed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from devices import ledger
from gigaportal.models import School
from gigaportal.scope import ScopedQuerySet


class DeviceModel(models.Model):
    class Kind(models.TextChoices):
        IPAD = "ipad", "iPad"
        CHROMEBOOK = "chromebook", "Chromebook"

    name = models.CharField(_("model name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    spares_at_deployment = models.PositiveIntegerField(_("spares at deployment"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("device model")
        verbose_name_plural = _("device models")

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    class Status(models.TextChoices):
        DEPLOYED = ledger.Status.DEPLOYED, _("Deployed")
        SPARE = ledger.Status.SPARE, _("Spare")
        IN_REPAIR = ledger.Status.IN_REPAIR, _("In repair")
        RETIRED = ledger.Status.RETIRED, _("Retired")

    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    model = models.ForeignKey(
        DeviceModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="devices"
    )
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # The traffic app joins its lines to devices by this value; no foreign key, so
    # either app's data can be loaded first.
    line_number = models.CharField(_("line number"), max_length=30, blank=True, db_index=True)
    asset_tag = models.CharField(_("asset tag"), max_length=40, blank=True)
    spare_cycle = models.PositiveIntegerField(_("spare cycle"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["serial"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [models.Index(fields=["model", "status"]), models.Index(fields=["school"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ledger.Status]),
                name="device_status_known",
            ),
            # A deployed device is at a school; a spare, one in repair or a retired one
            # is at the center. Scoping by school depends on this.
            models.CheckConstraint(
                condition=Q(status=ledger.Status.DEPLOYED, school__isnull=False)
                | (~Q(status=ledger.Status.DEPLOYED) & Q(school__isnull=True)),
                name="device_school_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    def as_state(self) -> ledger.DeviceState:
        return ledger.DeviceState(
            self.serial, self.model_id, ledger.Status(self.status), self.school_id, self.spare_cycle
        )


class DeviceEvent(models.Model):
    class Kind(models.TextChoices):
        BREAKAGE = ledger.Kind.BREAKAGE, _("Breakage")
        FAILURE = ledger.Kind.FAILURE, _("Failure")
        ISSUE = ledger.Kind.ISSUE, _("Spare issued")
        REPAIR = ledger.Kind.REPAIR, _("Repaired")
        RETIRE = ledger.Kind.RETIRE, _("Retired")

    class Cause(models.TextChoices):
        DROPPED = "dropped", "落下"
        CRACKED_SCREEN = "cracked_screen", "画面割れ"
        WATER = "water", "水濡れ"
        CHARGING = "charging", "充電不良"
        OTHER = "other", "その他"

    date = models.DateField(_("date"))
    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, blank=True)
    # The spare that went out in this event: the replacement for a breakage or failure,
    # or, for an issue, the device itself. With spare_cycle it identifies one issue.
    spare = models.ForeignKey(
        Device,
        verbose_name=_("spare issued"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_events",
    )
    spare_cycle = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The spare stock change of this event for the device's model: -1, 0 or +1.
    spare_delta = models.SmallIntegerField(default=0, editable=False)
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="device_events",
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A school's report of a fault waits for staff; until confirmed it changes nothing.
    confirmed = models.BooleanField(_("confirmed"), default=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A report that was not a fault is dismissed (kept, with who, when and why), never
    # deleted: the school sees what became of it.
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    dismissal_reason = models.CharField(_("reason for dismissal"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    # The school where it happened: a school user sees the events at their school.
    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("device event")
        verbose_name_plural = _("device events")
        indexes = [
            models.Index(fields=["date"]),
            models.Index(fields=["device", "date"]),
            models.Index(fields=["confirmed", "date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["spare", "spare_cycle"], name="a_spare_is_issued_once_per_cycle"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in ledger.Kind]), name="device_event_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(spare__isnull=True, spare_cycle__isnull=True)
                | Q(spare__isnull=False, spare_cycle__isnull=False),
                name="device_event_spare_has_cycle",
            ),
            models.CheckConstraint(
                condition=Q(spare__isnull=True)
                | Q(kind__in=[ledger.Kind.BREAKAGE, ledger.Kind.FAILURE])
                | Q(kind=ledger.Kind.ISSUE, spare=F("device")),
                name="device_event_spare_fits_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=ledger.Kind.ISSUE, spare__isnull=False)
                | ~Q(kind=ledger.Kind.ISSUE),
                name="device_event_issue_names_spare",
            ),
            models.CheckConstraint(
                condition=Q(spare_delta__gte=-1, spare_delta__lte=1),
                name="device_event_spare_delta_range",
            ),
            # Only a report still waiting for staff can be dismissed.
            models.CheckConstraint(
                condition=Q(dismissed_at__isnull=True) | Q(confirmed=False),
                name="device_event_dismissed_is_unconfirmed",
            ),
            # An unconfirmed report is a fault that has not touched the stock yet.
            models.CheckConstraint(
                condition=Q(confirmed=True)
                | Q(
                    kind__in=[ledger.Kind.BREAKAGE, ledger.Kind.FAILURE],
                    spare__isnull=True,
                    spare_delta=0,
                ),
                name="device_event_unconfirmed_is_a_plain_fault",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.device} {self.get_kind_display()}"

    @property
    def is_pending(self) -> bool:
        """A school's report still waiting for staff."""
        return not self.confirmed and self.dismissed_at is None


class DevicesSettings(models.Model):
    """Settings of the devices app that the leader changes in admin (one row)."""

    forecast_threshold_months = models.PositiveSmallIntegerField(
        _("forecast warning threshold (months)"),
        default=6,
        help_text=_(
            "Warn on the leader's pages when spares would run out within this many months."
        ),
    )

    class Meta:
        verbose_name = _("devices settings")
        verbose_name_plural = _("devices settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="devices_settings_single_row")
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def save(self, *args, **kwargs):
        self.pk = 1  # a single row: the admin edits it, nobody creates a second
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> DevicesSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)
