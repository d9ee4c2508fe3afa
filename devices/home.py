"""The devices app's part of the shared pages (see gigaportal.views.portal)."""

from devices import selectors


def context(*, user) -> dict:
    # Only the leader's page warns about spares running out; others need no query.
    if not user.is_leader:
        return {}
    return {"forecast_warnings": [f for f in selectors.forecasts(user=user) if f.forecast.warning]}


def school_context(*, user, school) -> dict:
    return selectors.school_device_counts(user=user, school=school)
