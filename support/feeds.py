"""The iCalendar document of a staff member's visits (RFC 5545, via `icalendar`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

DEFAULT_VISIT_MINUTES = 90


def visits_ical(*, visits: Iterable, calendar_name: str, base_url: str) -> bytes:
    """One event per visit: timed when a time is set, all-day otherwise. The UID is
    stable per request so a phone updates an event when the visit moves."""
    zone = ZoneInfo(settings.TIME_ZONE)
    cal = Calendar()
    cal.add("prodid", "-//GIGA school support center//gigaportal//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    now = timezone.now()
    host = base_url.split("//", 1)[-1].split("/", 1)[0] or "gigaportal"
    for visit in visits:
        event = Event()
        event.add("uid", f"support-request-{visit.pk}@{host}")
        event.add("dtstamp", now)
        summary = f"{visit.get_kind_display()}: {visit.school.name}"
        if visit.topic:
            summary += f" ({visit.topic.name})"
        event.add("summary", summary)
        if visit.scheduled_time:
            start = dt.datetime.combine(visit.scheduled_date, visit.scheduled_time, tzinfo=zone)
            event.add("dtstart", start)
            event.add("dtend", start + dt.timedelta(minutes=DEFAULT_VISIT_MINUTES))
        else:
            event.add("dtstart", visit.scheduled_date)
            event.add("dtend", visit.scheduled_date + dt.timedelta(days=1))
        event.add("location", visit.school.name)
        staff = "、".join(u.display_name for u in visit.assigned_staff.all())
        event.add("description", f"{visit.details}\n{staff}".strip())
        event.add("url", base_url + reverse("support:request_detail", args=[visit.pk]))
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
