"""The policy's versions: written, corrected while they may be, approved, and copied
into a new version once frozen. The freeze rule (security.rules.is_frozen) is checked
here, under a row lock, whichever door the edit comes through: a command, the demo,
Django admin (whose forms ask `policy_version_check` first, and save through
`policy_version_save`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog
from security import rules
from security.models import (
    PolicyDocument,
    PolicySection,
    PolicyVersion,
    ReasonCategory,
    RevisionReason,
    VersionStatus,
)
from security.services.common import SecurityError, is_admin, refusal

DOCUMENT_FIELDS = ["title", "kind", "order"]
VERSION_FIELDS = ["document", "label", "status", "approved_on", "effective_from", "note"]


@dataclass(frozen=True)
class SectionInput:
    article: int
    body: str
    heading: str = ""
    chapter: str = ""


@dataclass(frozen=True)
class ReasonInput:
    category: str
    title: str
    items: str = ""


def _only_admins(by) -> None:
    if not is_admin(by):
        raise SecurityError(_("Only an administrator edits the policy."))


def version_values(version: PolicyVersion) -> dict:
    """What the change log keeps of a version: its fields, its articles and reasons as
    text, so an entry shows what a person read before and after."""
    values = changelog.values(version, VERSION_FIELDS)
    if version.original_file:
        values["original_file"] = version.original_file.name
    if version.pk:
        values["sections"] = [
            f"{rules.citation(s.article)} {s.heading}: {s.body}".replace("  ", " ")
            for s in version.sections.order_by("article")
        ]
        values["reasons"] = [
            f"[{r.get_category_display()}] {r.title}: {r.items}" for r in version.reasons.all()
        ]
    return values


def _check_sections(sections: Sequence[SectionInput]) -> None:
    numbers = [s.article for s in sections]
    if len(numbers) != len(set(numbers)):
        raise SecurityError(_("Two articles have the same number."), field="sections")
    if any(n < 1 for n in numbers):
        raise SecurityError(_("Article numbers start at 1."), field="sections")
    if any(not s.body.strip() for s in sections):
        raise SecurityError(_("Every article needs its text."), field="sections")


def _check_reasons(reasons: Sequence[ReasonInput]) -> None:
    if any(r.category not in ReasonCategory.values for r in reasons):
        raise SecurityError(_("Choose the category of each reason."), field="reasons")
    if any(not r.title.strip() for r in reasons):
        raise SecurityError(_("Every reason needs its statement."), field="reasons")


def _replace_parts(
    version: PolicyVersion,
    sections: Sequence[SectionInput] | None,
    reasons: Sequence[ReasonInput] | None,
) -> None:
    if sections is not None:
        version.sections.all().delete()
        PolicySection.objects.bulk_create(
            PolicySection(
                version=version,
                article=s.article,
                heading=s.heading.strip(),
                chapter=s.chapter.strip(),
                body=s.body.strip(),
            )
            for s in sorted(sections, key=lambda s: s.article)
        )
    if reasons is not None:
        version.reasons.all().delete()
        RevisionReason.objects.bulk_create(
            RevisionReason(
                version=version,
                order=index,
                category=r.category,
                title=r.title.strip(),
                items=r.items.strip(),
            )
            for index, r in enumerate(reasons, start=1)
        )


_UNCHANGED = object()


def policy_version_check(
    *, version: PolicyVersion, effective_from=_UNCHANGED, today: dt.date | None = None
) -> None:
    """Raises SecurityError when the stored version may no longer be edited, or an
    approved one may not move to `effective_from` (admin's form asks this first, so
    its reason shows on the form; policy_version_save checks again under a lock)."""
    if version.pk is None:
        return
    stored = PolicyVersion.objects.filter(pk=version.pk).first()
    if stored is None:
        return
    today = today or timezone.localdate()
    try:
        rules.check_editable(stored.facts(), today=today)
        if stored.is_approved and effective_from is not _UNCHANGED:
            rules.check_reschedule(
                stored.facts(),
                new_date=effective_from,
                approved_on=stored.approved_on,
                today=today,
            )
    except rules.Refused as exc:
        raise refusal(exc) from None


def policy_document_create(*, by, title: str, kind: str, order: int = 100) -> PolicyDocument:
    _only_admins(by)
    with transaction.atomic():
        document = PolicyDocument.objects.create(title=title, kind=kind, order=order)
        changelog.record(
            by=by, action=changelog.Action.CREATE, obj=document, fields=DOCUMENT_FIELDS
        )
    return document


def policy_version_save(
    *,
    by,
    version: PolicyVersion,
    sections: Sequence[SectionInput] | None = None,
    reasons: Sequence[ReasonInput] | None = None,
) -> PolicyVersion:
    """Saves a new version (a draft) or corrects one that is not frozen, replacing its
    articles and reasons when given; one change-log entry either way.

    1. Refuse a frozen version (the stored one, locked: a version that came into force
       while its form was open is refused too) and a status changed here (approval has
       its own service).
    2. Save the version, its articles and reasons.
    3. Record the difference, articles and reasons included.
    """
    _only_admins(by)
    if sections is not None:
        _check_sections(sections)
    if reasons is not None:
        _check_reasons(reasons)
    with transaction.atomic():
        before = None
        if version.pk:
            stored = PolicyVersion.objects.select_for_update().filter(pk=version.pk).first()
            if stored is not None:
                try:
                    rules.check_editable(stored.facts(), today=timezone.localdate())
                except rules.Refused as exc:
                    raise refusal(exc) from None
                before = version_values(stored)
                # Approval and its date are moved only by policy_version_approve.
                version.status = stored.status
                version.approved_on = stored.approved_on
                version.approved_by_id = stored.approved_by_id
                if stored.is_approved and version.effective_from != stored.effective_from:
                    try:
                        rules.check_reschedule(
                            stored.facts(),
                            new_date=version.effective_from,
                            approved_on=stored.approved_on,
                            today=timezone.localdate(),
                        )
                    except rules.Refused as exc:
                        raise refusal(exc) from None
                    _check_free_day(version)
        else:
            version.status = VersionStatus.DRAFT
            version.approved_on = None
            version.approved_by = None
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError:
            raise SecurityError(
                _("Another approved version of this document takes effect on that day."),
                field="effective_from",
            ) from None
        _replace_parts(version, sections, reasons)
        changelog.record(
            by=by,
            action=changelog.Action.UPDATE if before is not None else changelog.Action.CREATE,
            obj=version,
            before=before,
            after=version_values(version),
        )
    return version


def _check_free_day(version: PolicyVersion) -> None:
    taken = PolicyVersion.objects.filter(
        document_id=version.document_id,
        status=VersionStatus.APPROVED,
        effective_from=version.effective_from,
    ).exclude(pk=version.pk)
    if taken.exists():
        raise refusal(rules.Refused(rules.REFUSAL_SAME_DAY, field="effective_from"))


def policy_version_create(
    *,
    by,
    document: PolicyDocument,
    label: str,
    effective_from: dt.date | None = None,
    note: str = "",
    sections: Sequence[SectionInput] = (),
    reasons: Sequence[ReasonInput] = (),
) -> PolicyVersion:
    """A new draft of `document`."""
    version = PolicyVersion(
        document=document, label=label, effective_from=effective_from, note=note
    )
    return policy_version_save(by=by, version=version, sections=sections, reasons=reasons)


def policy_version_approve(
    *, by, version: PolicyVersion, approved_on: dt.date | None = None
) -> PolicyVersion:
    """A draft becomes the approved version taking effect on its date (the schools are
    then asked to acknowledge it on their home pages)."""
    _only_admins(by)
    approved_on = approved_on or timezone.localdate()
    with transaction.atomic():
        stored = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        dates = PolicyVersion.objects.filter(
            document_id=stored.document_id, status=VersionStatus.APPROVED
        ).values_list("effective_from", flat=True)
        try:
            rules.check_approval(stored.facts(), approved_on=approved_on, approved_dates=dates)
        except rules.Refused as exc:
            raise refusal(exc) from None
        before = changelog.values(stored, ["status", "approved_on"])
        stored.status = VersionStatus.APPROVED
        stored.approved_on = approved_on
        stored.approved_by_id = getattr(by, "pk", None)
        stored.save(update_fields=["status", "approved_on", "approved_by"])
        changelog.record(
            by=by,
            action=changelog.Action.UPDATE,
            obj=stored,
            before=before,
            fields=["status", "approved_on"],
        )
    return stored


def policy_version_new(
    *, by, source: PolicyVersion, label: str = "", effective_from: dt.date | None = None
) -> PolicyVersion:
    """A new draft copying `source`'s articles and reasons: how a frozen version is
    corrected (admin's "new version" button)."""
    sections = [
        SectionInput(article=s.article, body=s.body, heading=s.heading, chapter=s.chapter)
        for s in source.sections.all()
    ]
    version = PolicyVersion(
        document=source.document,
        label=label or _("%(label)s (revision draft)") % {"label": source.label},
        effective_from=effective_from,
        note="",
    )
    return policy_version_save(by=by, version=version, sections=sections, reasons=[])


def policy_version_delete(*, by, version: PolicyVersion) -> None:
    """Only a draft is deleted; an approved version (and whoever acknowledged it) is
    part of the record."""
    _only_admins(by)
    with transaction.atomic():
        stored = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if stored.is_approved:
            raise refusal(rules.Refused(rules.REFUSAL_APPROVED_DELETE))
        values = version_values(stored)
        changelog.record(
            by=by,
            action=changelog.Action.DELETE,
            obj=stored,
            changes={key: [value, None] for key, value in values.items()},
        )
        stored.delete()
