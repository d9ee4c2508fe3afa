"""Template filters for the Japanese school calendar (loaded in every template)."""

import datetime as dt

from django import template

from gigaportal import calendar, dates

register = template.Library()


def _as_date(value):
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def fiscal_year(value) -> int | str:
    """{{ some_date|fiscal_year }} → 2022"""
    value = _as_date(value)
    return calendar.fiscal_year(value) if isinstance(value, dt.date) else ""


@register.filter
def fiscal_year_label(value) -> str:
    """{{ 2022|fiscal_year_label }} or {{ some_date|fiscal_year_label }} → 令和4年度"""
    value = _as_date(value)
    if isinstance(value, dt.date):
        value = calendar.fiscal_year(value)
    try:
        return dates.fiscal_year_text(int(value))
    except (TypeError, ValueError):
        return ""


@register.filter
def month_label(value, with_year: bool = False) -> str:
    """{{ month|month_label }} → 9月; {{ month|month_label:True }} → 2022年9月.
    Accepts a calendar.Month, a date, or 'YYYY-MM'."""
    if isinstance(value, str):
        try:
            value = calendar.Month.parse(value)
        except ValueError:
            return value
    value = _as_date(value)
    if isinstance(value, dt.date):
        value = calendar.Month.of(value)
    if isinstance(value, calendar.Month):
        return dates.month_text(value, with_year=bool(with_year))
    return ""


@register.filter
def jdate(value, weekday: bool = False) -> str:
    """{{ some_date|jdate }} → 2022年4月15日; {{ some_date|jdate:True }} adds (金)."""
    value = _as_date(value)
    return dates.date_text(value, weekday=bool(weekday)) if isinstance(value, dt.date) else ""


@register.filter
def term_label(number) -> str:
    try:
        return dates.term_text(int(number))
    except (TypeError, ValueError):
        return ""


@register.filter
def report_cells(row, columns):
    """Pairs a report row with its columns for gigaportal/_report_table.html:
    [(text, numeric), ...], numbers with thousands separators; a download-only column
    is left out."""
    from decimal import Decimal

    from gigaportal.reports.tables import display

    cells = []
    for value, column in zip(row, columns, strict=False):
        if not column.on_page:
            continue
        if isinstance(value, bool):
            text = "✓" if value else ""
        elif isinstance(value, int | Decimal) and column.numeric:
            text = f"{value:,}"
        else:
            text = display(value)
        cells.append((text, column.numeric))
    return cells


@register.filter
def object_type(obj) -> str:
    """{% url 'changes:object' obj|object_type obj.pk %}: 'devices.device'."""
    meta = getattr(obj, "_meta", None)
    return f"{meta.app_label}.{meta.model_name}" if meta else ""


@register.filter
def wareki(value) -> str:
    """{{ some_date|wareki }} → 令和4年12月10日."""
    value = _as_date(value)
    return calendar.wareki_date(value) if isinstance(value, dt.date) else ""
