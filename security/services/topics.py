"""Working-group topics: what each group discussed and decided (admin edits them
through ChangeLoggedAdmin; the demo and commands come here)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from gigaportal import changelog
from security.models import ChartKind, OrgNode, TopicStatus, WorkingGroupTopic
from security.services.common import SecurityError, is_admin

TOPIC_FIELDS = ["group", "theme", "title", "summary", "status", "meeting_date", "order"]


def topic_create(
    *,
    by,
    group: OrgNode,
    title: str,
    status: str,
    meeting_date: dt.date,
    theme: str = "",
    summary: str = "",
    order: int = 1,
) -> WorkingGroupTopic:
    if not is_admin(by):
        raise SecurityError(_("Only an administrator edits the working groups' topics."))
    if group.chart.kind != ChartKind.COMMITTEE:
        raise SecurityError(_("Topics belong to a working group of the committee's chart."))
    if status not in TopicStatus.values:
        raise SecurityError(_("Choose the topic's status."), field="status")
    with transaction.atomic():
        topic = WorkingGroupTopic.objects.create(
            group=group,
            title=title,
            status=status,
            meeting_date=meeting_date,
            theme=theme,
            summary=summary,
            order=order,
        )
        changelog.record(by=by, action=changelog.Action.CREATE, obj=topic, fields=TOPIC_FIELDS)
    return topic
