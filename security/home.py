"""The security app's part of the home pages (see gigaportal.views.home): a school
sees the policy versions it has still to acknowledge; the leader, per version, how many
schools have not."""

from security import selectors


def context(*, user) -> dict:
    if not user.is_authenticated:
        return {}
    if user.is_school_user:
        return {"pending": selectors.pending_for_school(user=user)}
    if user.is_leader:
        targets = selectors.acknowledgement_targets()
        counts = selectors.acknowledgement_counts(user=user, targets=targets)
        not_acknowledged = []
        for version in targets:
            done, total = counts[version.pk]
            if total > done:
                not_acknowledged.append((version, total - done))
        return {"not_acknowledged": not_acknowledged}
    return {}
