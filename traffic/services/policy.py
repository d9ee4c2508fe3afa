"""The heavy-usage policy's versions. The rules of changing one live here, so a page,
a command and Django admin all keep them: an effective month starts on its first day;
a version in force for an evaluated month keeps its figures (those months were decided
with them); no version may newly take effect in an evaluated month."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.calendar import Month
from traffic.models import Evaluation, Policy

POLICY_FIELDS = ["effective_from", "single_gb", "consecutive_gb", "gb_per_line", "note"]
FROZEN_FIELDS = ["effective_from", "single_gb", "consecutive_gb", "gb_per_line"]


class PolicyRefused(Exception):
    """A policy change the rules refuse; `field` names the value at fault, if one."""

    def __init__(self, message, *, field: str = "") -> None:
        self.message = message
        self.field = field
        super().__init__(str(message))


def policy_in_force(month: Month) -> Policy | None:
    """The version in force on the month's first day (gigaportal.versions)."""
    return Policy.objects.in_force(month.first_day())


def policy_check(*, policy: Policy) -> None:
    """Raises PolicyRefused when saving `policy` (new or changed) breaks a rule."""
    if policy.effective_from is None:
        return
    if policy.effective_from.day != 1:
        raise PolicyRefused(
            _("The effective month must be given as its first day."), field="effective_from"
        )
    for name in ("single_gb", "consecutive_gb", "gb_per_line"):
        value = getattr(policy, name)
        if value is not None and value <= 0:
            raise PolicyRefused(_("Give a number greater than 0."), field=name)
    before = (
        Policy.objects.filter(pk=policy.pk).values(*FROZEN_FIELDS).first() if policy.pk else None
    )
    changed = before and any(before[name] != getattr(policy, name) for name in FROZEN_FIELDS)
    if changed and Evaluation.objects.filter(policy_id=policy.pk).exists():
        raise PolicyRefused(
            _(
                "This version is in force for evaluated months: its effective month, "
                "thresholds and GB per line cannot be changed. Add a new version "
                "from a later month instead."
            )
        )
    moved = before is None or before["effective_from"] != policy.effective_from
    if moved and Evaluation.objects.filter(month__gte=policy.effective_from).exists():
        raise PolicyRefused(
            _("Months from %(month)s on are already evaluated; a new policy must start later.")
            % {"month": f"{policy.effective_from:%Y-%m}"},
            field="effective_from",
        )


def policy_save(*, by, policy: Policy) -> Policy:
    """Saves a new or edited version (admin's form, the command) after the checks."""
    with transaction.atomic():
        policy_check(policy=policy)
        before = None
        if policy.pk:
            stored = Policy.objects.select_for_update().filter(pk=policy.pk).first()
            before = changelog.values(stored, POLICY_FIELDS) if stored else None
        created = before is None
        policy.save()
        changelog.record(
            by=by,
            action=changelog.Action.CREATE if created else changelog.Action.UPDATE,
            obj=policy,
            before=before,
            fields=POLICY_FIELDS,
        )
    return policy


def policy_set(
    *,
    by,
    effective_from: Month,
    single_gb: Decimal = Decimal(200),
    consecutive_gb: Decimal = Decimal(100),
    gb_per_line: Decimal = Decimal(5),
    note: str = "",
) -> Policy:
    """Records the version that takes effect in `effective_from` (creating it, or
    changing the one of that month while no evaluated month uses it)."""
    policy = Policy.objects.filter(effective_from=effective_from.first_day()).first() or Policy(
        effective_from=effective_from.first_day()
    )
    policy.single_gb = single_gb
    policy.consecutive_gb = consecutive_gb
    policy.gb_per_line = gb_per_line
    policy.note = note
    return policy_save(by=by, policy=policy)
