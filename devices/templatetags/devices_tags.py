from django import template

from devices import selectors

register = template.Library()


@register.simple_tag
def devices_forecast_warnings():
    """Forecasts under the admin's threshold, for the leader's home page."""
    return [f for f in selectors.forecasts() if f.forecast.warning]
