"""Factories for support rows; each returns a saved object."""

from __future__ import annotations

import datetime as dt
import importlib

from django.utils import timezone

from support.models import Kind, RequestEvent, Status, SupportRecord, SupportRequest, Topic


def ensure_topics() -> None:
    """The default topics come from a data migration; a transactional test's flush
    removes them, so tests that run after one put them back."""
    defaults = importlib.import_module("support.migrations.0002_default_topics").DEFAULT_TOPICS
    for index, (code, name) in enumerate(defaults):
        Topic.objects.get_or_create(code=code, defaults={"name": name, "sort_order": index})


def topic(code: str = "updates") -> Topic:
    ensure_topics()
    return Topic.objects.get(code=code)


def make_record(
    *, school, staff, kind=Kind.VISIT, date=None, created_by=None, **extra
) -> SupportRecord:
    staff = staff if isinstance(staff, list | tuple) else [staff]
    record = SupportRecord.objects.create(
        school=school,
        kind=kind,
        date=date or timezone.localdate(),
        created_by=created_by or staff[0],
        **extra,
    )
    record.staff.set(staff)
    return record


def make_request(
    *, school, requested_by, status=Status.REQUESTED, staff=(), scheduled_date=None, **extra
) -> SupportRequest:
    if status == Status.SCHEDULED and scheduled_date is None:
        scheduled_date = timezone.localdate() + dt.timedelta(days=3)
    request = SupportRequest.objects.create(
        school=school,
        requested_by=requested_by,
        status=status,
        scheduled_date=scheduled_date,
        details=extra.pop("details", "電子黒板とiPadの接続について"),
        **extra,
    )
    request.assigned_staff.set(staff)
    RequestEvent.objects.create(request=request, by=requested_by, to_status=status)
    return request
