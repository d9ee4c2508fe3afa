"""The devices app's part of the home pages (see gigaportal.views.home)."""

from devices import selectors


def context(*, user) -> dict:
    # Only the leader's page warns about spares running out; others need no query.
    if not user.is_leader:
        return {}
    return {"forecast_warnings": [f for f in selectors.forecasts(user=user) if f.forecast.warning]}
