"""A committee report pack: who asked for it, when, for which period, how far its
worker got, and the two files it wrote (kept, so the pack can be downloaded again)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gigaportal.calendar import Month


class ReportPack(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The name as it was (a command's login, or the person's name).
    requested_by_name = models.CharField(_("requested by (name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    # The last month the pack covers, YYYY-MM (the papers' "to December").
    end_month = models.CharField(_("up to"), max_length=7)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to="packs/", blank=True)
    xlsx = models.FileField(_("Excel workbook"), upload_to="packs/", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report pack")
        verbose_name_plural = _("report packs")

    def __str__(self) -> str:
        return f"{self.period_label} #{self.pk}"

    @property
    def end(self) -> Month:
        return Month.parse(self.end_month)

    @property
    def period_label(self) -> str:
        from gigaportal.dates import fiscal_year_text, month_text

        return _("%(year)s, up to %(month)s") % {
            "year": fiscal_year_text(self.fiscal_year),
            "month": month_text(self.end),
        }

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
