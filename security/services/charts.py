"""Organisation charts: made from a tree of boxes (the demo, a command), copied into a
new version for a reorganisation, and edited in Django admin, whose save is recorded
here as one change-log entry with the boxes and links that changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gigaportal import changelog
from security import rules
from security.models import OrgChart, OrgLink, OrgNode
from security.services.common import SecurityError, is_admin

CHART_FIELDS = ["slug", "title", "kind", "effective_from", "notes"]


@dataclass(frozen=True)
class LinkSpec:
    kind: str
    label: str = ""
    target: OrgNode | None = None


@dataclass(frozen=True)
class NodeSpec:
    position: str
    holders: Sequence[str] = ()
    duties: Sequence[str] = ()
    members: Sequence[str] = ()
    links: Sequence[LinkSpec] = ()
    children: Sequence[NodeSpec] = field(default_factory=tuple)


def _only_admins(by) -> None:
    if not is_admin(by):
        raise SecurityError(_("Only an administrator edits the organisation charts."))


def _node_text(node: OrgNode, names: Mapping[int, str]) -> dict:
    return {
        "position": node.position,
        "parent": names.get(node.parent_id) if node.parent_id else None,
        "order": node.order,
        "holders": node.holder_list(),
        "duties": node.duty_list(),
        "members": node.member_list(),
    }


def orgchart_snapshot(chart: OrgChart) -> dict:
    """What the change log keeps of a chart: its fields, and each box and link as text
    (keyed "<model> <id>", as the change log names a part of an object, so a box
    renamed reads as a change of that box)."""
    values = changelog.values(chart, CHART_FIELDS)
    if not chart.pk:
        return values
    nodes = list(OrgNode.objects.filter(chart=chart))
    names = {n.pk: n.position for n in nodes}
    for node in nodes:
        values[f"orgnode {node.pk}"] = _node_text(node, names)
    links = OrgLink.objects.filter(node__chart=chart).select_related("node", "target__chart")
    for link in links:
        target = f"{link.target.position} ({link.target.chart.title})" if link.target_id else None
        values[f"orglink {link.pk}"] = {
            "box": link.node.position,
            "kind": link.get_kind_display(),
            "name": link.label or None,
            "other box": target,
        }
    return values


def orgchart_record_edit(*, by, chart: OrgChart, before: dict | None) -> None:
    """One entry for an edit of a chart, its boxes and its links (admin's save)."""
    changelog.record(
        by=by,
        action=changelog.Action.UPDATE if before is not None else changelog.Action.CREATE,
        obj=chart,
        before=before,
        after=orgchart_snapshot(chart),
    )


def _create_nodes(chart: OrgChart, specs: Sequence[NodeSpec], parent: OrgNode | None) -> None:
    for order, spec in enumerate(specs, start=1):
        node = OrgNode.objects.create(
            chart=chart,
            parent=parent,
            position=spec.position,
            holders="\n".join(spec.holders),
            duties="\n".join(spec.duties),
            members="\n".join(spec.members),
            order=order,
        )
        OrgLink.objects.bulk_create(
            OrgLink(node=node, kind=link.kind, label=link.label, target=link.target, order=index)
            for index, link in enumerate(spec.links, start=1)
        )
        _create_nodes(chart, spec.children, node)


def _new_chart(chart: OrgChart) -> OrgChart:
    try:
        with transaction.atomic():
            chart.save()
    except IntegrityError:
        raise SecurityError(
            _("This chart already has a version taking effect on that day."),
            field="effective_from",
        ) from None
    return chart


def orgchart_create(
    *,
    by,
    slug: str,
    title: str,
    kind: str,
    effective_from: dt.date,
    notes: str = "",
    nodes: Sequence[NodeSpec] = (),
) -> OrgChart:
    """A chart version with its tree of boxes, in one transaction and one entry."""
    _only_admins(by)
    with transaction.atomic():
        chart = _new_chart(
            OrgChart(slug=slug, title=title, kind=kind, effective_from=effective_from, notes=notes)
        )
        _create_nodes(chart, nodes, None)
        orgchart_record_edit(by=by, chart=chart, before=None)
    return chart


def orgchart_new_version(
    *, by, chart: OrgChart, effective_from: dt.date, title: str = ""
) -> OrgChart:
    """A copy of `chart` (its boxes, their links) taking effect on another day: the
    start of a reorganisation, edited from there. Links between the copied boxes point
    at the copies; links to other charts stay."""
    _only_admins(by)
    with transaction.atomic():
        copy = _new_chart(
            OrgChart(
                slug=chart.slug,
                title=title or chart.title,
                kind=chart.kind,
                effective_from=effective_from,
                notes=chart.notes,
            )
        )
        nodes = list(OrgNode.objects.filter(chart=chart))
        copies: dict[int, OrgNode] = {}
        for row in rules.tree_rows(nodes):
            node = row.node
            copies[node.pk] = OrgNode.objects.create(
                chart=copy,
                parent=copies.get(node.parent_id),
                position=node.position,
                holders=node.holders,
                duties=node.duties,
                members=node.members,
                order=node.order,
            )
        OrgLink.objects.bulk_create(
            OrgLink(
                node=copies[link.node_id],
                kind=link.kind,
                label=link.label,
                target_id=copies[link.target_id].pk if link.target_id in copies else link.target_id,
                order=link.order,
            )
            for link in OrgLink.objects.filter(node__chart=chart)
        )
        orgchart_record_edit(by=by, chart=copy, before=None)
    return copy


def orgchart_check_parents(*, chart: OrgChart | None, parents: Mapping[object, object]) -> None:
    """Raises SecurityError when the boxes' parents (box → parent, as the admin's form
    would save them) make a loop or name a box of another chart."""
    if chart is not None and chart.pk:
        own = set(OrgNode.objects.filter(chart=chart).values_list("pk", flat=True))
        foreign = [p for p in parents.values() if isinstance(p, int) and p not in own]
        if foreign:
            raise SecurityError(_("A box's parent must be a box of the same chart."))
    for node, parent in parents.items():
        if parent is not None and rules.makes_loop(parents, node, parent):
            raise SecurityError(_("A box cannot be placed under itself or under its own box."))
