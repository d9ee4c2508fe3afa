"""The portal's own reports: the change log (its page's downloads and
`manage.py changelog` print the same rows)."""

from __future__ import annotations

import json

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gigaportal import selectors
from gigaportal.reports.registry import ReportSpec, register
from gigaportal.reports.tables import Coded, Report, ReportColumn
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
            # Readable on the page and in its downloads; the command's CSV keeps the
            # JSON as recorded ({"field": [before, after]}) for a program to read.
            ReportColumn("changes", _("changes")),
        ],
        rows=[
            (
                timezone.localtime(e.time).isoformat(timespec="seconds"),
                e.by_display,
                Coded(e.action, e.get_action_display()),
                object_type(e),
                e.object_id,
                e.object_repr,
                Coded(changes_json(e.changes), "\n".join(str(line) for line in e.lines())),
            )
            for e in entries
        ],
    )


def changes(*, user, **filters) -> Report:
    """Every entry the filters select, read in chunks (no cap: a download or the command
    that stopped at some row without saying so would mislead)."""
    return changes_report(selectors.changes(user=user, **filters).iterator(chunk_size=2000))


def schools_report(*, schools) -> Report:
    """The school list as filtered on its page."""
    return Report(
        title=_("Schools"),
        columns=[
            ReportColumn("school_code", _("school code")),
            ReportColumn("name", _("name")),
            ReportColumn("kind", _("kind")),
            ReportColumn("email", _("contact e-mail")),
            ReportColumn("principal", _("principal")),
        ],
        rows=[(s.code, s.name, s.get_kind_display(), s.email, s.principal_name) for s in schools],
    )


CHANGES = register(
    ReportSpec(
        slug="gigaportal.changes",
        title=_("Change log"),
        build=changes,
        roles=LEADER_ROLES | {Role.SCHOOL},
        filename="changelog",
    )
)
