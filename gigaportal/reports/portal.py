"""The portal's own reports: the change log (its page's downloads and
`manage.py changelog` print the same rows)."""

from __future__ import annotations

import json

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gigaportal import selectors
from gigaportal.reports.registry import ReportSpec, register
from gigaportal.reports.tables import Report, ReportColumn
from gigaportal.roles import LEADER_ROLES, Role


def changes_json(changes: dict) -> str:
    return json.dumps(changes, ensure_ascii=False, sort_keys=True)


def object_type(entry) -> str:
    return f"{entry.content_type.app_label}.{entry.content_type.model}"


def changes_report(entries) -> Report:
    return Report(
        title=_("Change log"),
        columns=[
            ReportColumn("time", _("when")),
            ReportColumn("user", _("by")),
            ReportColumn("action", pgettext_lazy("change log", "action")),
            ReportColumn("object_type", _("object type")),
            ReportColumn("object_id", _("object id")),
            ReportColumn("object", _("object")),
            ReportColumn("changes", _("changes")),
        ],
        rows=[
            (
                timezone.localtime(e.time).isoformat(timespec="seconds"),
                e.by_display,
                e.action,
                object_type(e),
                e.object_id,
                e.object_repr,
                changes_json(e.changes),
            )
            for e in entries
        ],
    )


def changes(*, user, **filters) -> Report:
    return changes_report(selectors.changes(user=user, **filters)[:50_000])


CHANGES = register(
    ReportSpec(
        slug="gigaportal.changes",
        title=_("Change log"),
        build=changes,
        roles=LEADER_ROLES | {Role.SCHOOL},
        filename="changelog",
    )
)
