"""Delivery backends for outgoing actions, chosen in settings. They raise
gigaportal.outbox's DeliveryError (nothing went out: retry) or DeliveryUncertain (it
may have arrived: a person decides).

Tablet messages (steps ① and ③):
- `outbox-only`: recorded here; the center sends them from its MDM console, using
  the CSV of lines per message (traffic.reports.mdm_csv_report).
- `webhook`: POSTed as JSON to TRAFFIC_WEBHOOK_URL, signed with HMAC-SHA256 of the
  body under TRAFFIC_WEBHOOK_SECRET (header X-Gigaportal-Signature: sha256=<hex>),
  with the action id as X-Gigaportal-Delivery so a receiver can drop repeats.
School notices and parents' letters (steps ② and ④): an e-mail to the school's
address; the same text is already in the school's inbox in the portal.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from gigaportal.calendar import Month
from gigaportal.outbox import DeliveryError, DeliveryUncertain
from gigaportal.scope import SYSTEM
from traffic import escalation, selectors, texts

SIGNATURE_HEADER = "X-Gigaportal-Signature"
DELIVERY_HEADER = "X-Gigaportal-Delivery"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(action) -> str:
    """Sends one claimed action; returns the backend's name."""
    kind = escalation.ActionKind(action.kind)
    if kind in escalation.TABLET_ACTIONS:
        if settings.TRAFFIC_TABLET_BACKEND == "webhook":
            _post_webhook(action)
            return "webhook"
        return "outbox-only"
    _send_school_email(action)
    return "email"


def tablet_payload(action) -> dict:
    kind = escalation.ActionKind(action.kind)
    line = action.case.line
    month = Month.of(action.month)
    usage = selectors.step_usage(user=SYSTEM, month=month, case_ids=[action.case_id])
    text = texts.compose(
        selectors.message_texts()[kind],
        texts.values(
            line_number=line.number,
            month=month,
            usage_mb=usage.get(action.case_id),
            school=line.school.name if line.school else "",
        ),
    )
    return {
        "delivery_id": action.id,
        "kind": kind.value,
        "step": action.stage,
        "month": f"{action.month:%Y-%m}",
        "line_number": line.number,
        "school_code": line.school.code if line.school else None,
        "title": text.subject,
        "message": text.body,
    }


def _post_webhook(action) -> None:
    body = json.dumps(tablet_payload(action), ensure_ascii=False, sort_keys=True).encode()
    request = urllib.request.Request(
        settings.TRAFFIC_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(body, settings.TRAFFIC_WEBHOOK_SECRET),
            DELIVERY_HEADER: str(action.id),
        },
    )
    timeout = settings.TRAFFIC_WEBHOOK_TIMEOUT_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        # The receiver answered that it did not take the message: safe to retry.
        raise DeliveryError(f"webhook answered {exc.code}") from None
    except urllib.error.URLError as exc:
        # urllib wraps failures while connecting and sending: no whole request arrived.
        raise DeliveryError(f"webhook unreachable: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        # Failures while waiting for the answer (a timeout, a dropped connection) come
        # after the request was sent.
        raise DeliveryUncertain(f"no answer from the webhook after sending: {exc!r}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook answered {status}")


def _send_school_email(action) -> None:
    notice = getattr(action, "notice", None)
    school = action.case.line.school
    if notice is None or school is None:
        raise DeliveryError("the line belongs to no school: nobody to notify")
    if not school.email:
        raise DeliveryError(f"school {school.code} has no e-mail address")
    link = settings.PORTAL_BASE_URL + reverse("traffic:notice_detail", args=[notice.id])
    body = render_to_string(
        "emails/traffic_school_notice.txt", {"notice": notice, "school": school, "link": link}
    )
    message = EmailMessage(
        subject=notice.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[school.email],
        headers={"X-Gigaportal-Action": str(action.id)},
    )
    try:
        message.send(fail_silently=False)
    except OSError as exc:
        raise DeliveryError(f"mail server: {exc}") from None
