"""E-mails to schools about their requests, through the one outbox
(gigaportal.outbox): written with the change that causes them, sent after commit by
support.tasks.send_request_emails, at most once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from gigaportal import outbox
from support.models import RequestEmail, SupportRequest


def email_for_schedule(request: SupportRequest) -> RequestEmail | None:
    """The school's e-mail saying when its visit is and who comes (unsaved); None for
    a school without an address."""
    if not request.school.email:
        return None
    staff = ", ".join(u.display_name for u in request.assigned_staff.all())
    url = settings.PORTAL_BASE_URL + reverse("support:request_detail", args=[request.pk])
    # Schools read Japanese whatever language the leader's browser is in.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[GIGA support] Your support visit is scheduled for %(date)s") % {
            "date": f"{request.scheduled_date:%Y-%m-%d}"
        }
        body = render_to_string(
            "emails/support_request_scheduled.txt",
            {"request": request, "staff": staff, "url": url},
        )
    return RequestEmail(request=request, recipient=request.school.email, subject=subject, body=body)


def email_queue_for_schedule(request: SupportRequest) -> RequestEmail | None:
    email = email_for_schedule(request)
    if email is not None:
        email.save()
        outbox.enqueue_on_commit(RequestEmail.task_name, [email.pk])
    return email


def emails_queue(emails: Sequence[RequestEmail]) -> list[RequestEmail]:
    """Saves several e-mails in one INSERT and publishes them after commit."""
    saved = RequestEmail.objects.bulk_create(emails)
    outbox.enqueue_on_commit(RequestEmail.task_name, [e.pk for e in saved])
    return saved


def _send(email: RequestEmail) -> None:
    try:
        send_mail(email.subject, email.body, None, [email.recipient])
    except Exception as exc:  # any refusal or failure to connect: nothing was taken
        raise outbox.DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def emails_send(*, email_ids: Sequence[int]) -> dict[str, int]:
    """Sends each e-mail once (claim, send, mark sent once the server took it); a
    refused one is retried with back-off, and after the last attempt waits for a person."""
    return outbox.deliver_all(RequestEmail, email_ids, send=_send)


def emails_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    return outbox.sweep(RequestEmail, now=now)


def emails_resend(*, by, email_ids: Sequence[int]) -> int:
    """A person's decision (admin) to send failed e-mails again."""
    return len(outbox.resend(RequestEmail, email_ids, by=by))
