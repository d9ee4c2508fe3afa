"""Schools acknowledging a version, and the leader's reminders to those that have not,
through the one outbox (gigaportal.outbox): written in the transaction that decided
them, sent after commit by security.tasks.send_reminders, at most once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gigaportal import changelog, outbox
from gigaportal.models import School
from gigaportal.roles import Role
from security.models import Acknowledgement, AcknowledgementReminder, PolicyVersion
from security.services.common import SecurityError, is_leader


def acknowledgement_record(*, by, version: PolicyVersion) -> Acknowledgement | None:
    """The school's account acknowledges having read an approved version; once per
    school (a second click, or a colleague's, changes nothing and returns None)."""
    if getattr(by, "role", None) != Role.SCHOOL or not by.school_id:
        raise SecurityError(_("Only a school's account acknowledges the policy."))
    if not version.is_approved:
        raise SecurityError(_("Only an approved version is acknowledged."))
    now = timezone.now()
    try:
        with transaction.atomic():
            acknowledgement = Acknowledgement.objects.create(
                version=version, school_id=by.school_id, acknowledged_by=by, acknowledged_at=now
            )
            changelog.record(
                by=by,
                action=changelog.Action.ACKNOWLEDGE,
                obj=acknowledgement,
                changes={"version": [None, str(version)], "acknowledged_at": [None, now]},
            )
    except IntegrityError:
        return None  # the school had already acknowledged it
    return acknowledgement


def _reminder(version: PolicyVersion, school: School, today: dt.date) -> AcknowledgementReminder:
    url = settings.PORTAL_BASE_URL + reverse("security:version_detail", args=[version.pk])
    # Schools read Japanese whatever language the leader's browser is in.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[GIGA support] Please confirm you have read %(version)s") % {
            "version": str(version)
        }
        body = render_to_string(
            "security/emails/acknowledgement_reminder.txt",
            {"version": version, "school": school, "url": url},
        )
    return AcknowledgementReminder(
        version=version,
        school=school,
        reminded_on=today,
        recipient=school.email,
        subject=subject[:300],
        body=body,
    )


def reminders_queue(*, by, version: PolicyVersion, schools: Sequence[School]) -> list[int]:
    """E-mails each of `schools` (those that have not acknowledged `version`, as the
    leader's page lists them) a reminder, once a day at most; returns the ids queued.

    1. Skip schools that acknowledged meanwhile, have no address, or were reminded
       today (the unique index makes a double click harmless).
    2. Write the reminders and one change-log entry each, in one transaction.
    3. Publish their delivery after commit.
    """
    if not is_leader(by):
        raise SecurityError(_("Only the leader sends reminders."))
    if not version.is_approved:
        raise SecurityError(_("Only an approved version is acknowledged."))
    today = timezone.localdate()
    with transaction.atomic():
        # Two clicks at once wait for each other here: the second finds the first's
        # reminders and writes none.
        PolicyVersion.objects.select_for_update().filter(pk=version.pk).first()
        done = set(
            Acknowledgement.objects.filter(version=version).values_list("school_id", flat=True)
        )
        reminded = set(
            AcknowledgementReminder.objects.filter(version=version, reminded_on=today).values_list(
                "school_id", flat=True
            )
        )
        pending = [
            _reminder(version, school, today)
            for school in schools
            if school.pk not in done and school.pk not in reminded and school.email
        ]
        saved = AcknowledgementReminder.objects.bulk_create(pending)
        ids = [r.pk for r in saved]
        changelog.record_many(
            by=by,
            action=changelog.Action.CREATE,
            objs=saved,
            changes_of=lambda r: {
                "recipient": [None, r.recipient],
                "version": [None, str(version)],
            },
        )
        outbox.enqueue_on_commit(AcknowledgementReminder.task_name, ids)
    return ids


def _send(reminder: AcknowledgementReminder) -> None:
    try:
        send_mail(reminder.subject, reminder.body, None, [reminder.recipient])
    except Exception as exc:  # any refusal or failure to connect: nothing was taken
        raise outbox.DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def reminders_send(*, reminder_ids: Sequence[int]) -> dict[str, int]:
    """Sends each reminder once (claim, send, mark sent once the server took it)."""
    return outbox.deliver_all(AcknowledgementReminder, reminder_ids, send=_send)


def reminders_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    return outbox.sweep(AcknowledgementReminder, now=now)


def reminders_resend(*, by, reminder_ids: Sequence[int]) -> int:
    """A person's decision (admin) to send failed reminders again."""
    return len(outbox.resend(AcknowledgementReminder, reminder_ids, by=by))
