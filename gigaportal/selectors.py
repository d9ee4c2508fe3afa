"""Reads for schools and the fiscal calendar. Every selector of rows takes the user."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from gigaportal import calendar
from gigaportal.models import FiscalTerm, School
from gigaportal.scope import scope_queryset, scoped_get_or_404


def school_list(*, user, include_inactive: bool = False) -> QuerySet[School]:
    schools = scope_queryset(School.objects.all(), user, school_field="pk")
    return schools if include_inactive else schools.filter(is_active=True)


def school_get(*, user, pk: int) -> School:
    return scoped_get_or_404(School.objects.all(), user, school_field="pk", pk=pk)


def terms_for_fiscal_year(year: int) -> list[calendar.Term]:
    """The terms of a fiscal year: those set in admin, the default calendar for the rest."""
    edited = [t.as_term() for t in FiscalTerm.objects.filter(fiscal_year=year)]
    return calendar.merge_terms(year, edited)


def current_fiscal_year(today: dt.date | None = None) -> int:
    from django.utils import timezone

    return calendar.fiscal_year(today or timezone.localdate())
