"""Reads for schools, the fiscal calendar, imports and the change log. Every selector of
rows takes the user and starts from the model's scope (gigaportal.scope)."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from gigaportal import calendar
from gigaportal.models import FiscalTerm, ImportBatch, ObjectChange, School, User
from gigaportal.roles import LEADER_ROLES


def school_list(*, user, include_inactive: bool = False) -> QuerySet[School]:
    schools = School.objects.for_user(user)
    return schools if include_inactive else schools.filter(is_active=True)


def school_get(*, user, pk: int) -> School:
    """A school the user may see; another school (for a school user) is a 404."""
    return School.objects.for_user(user).get_or_404(pk=pk)


def terms_for_fiscal_year(year: int) -> list[calendar.Term]:
    """The terms of a fiscal year: those set in admin, the default calendar for the rest."""
    edited = [t.as_term() for t in FiscalTerm.objects.filter(fiscal_year=year)]
    return calendar.merge_terms(year, edited)


def current_fiscal_year(today: dt.date | None = None) -> int:
    from django.utils import timezone

    return calendar.fiscal_year(today or timezone.localdate())


# --- Imports ---------------------------------------------------------------------------


def import_batches(*, user, kind: str | None = None) -> QuerySet[ImportBatch]:
    """Every import, newest first: for the leader and administrators only."""
    if not (user.is_authenticated and user.is_active and user.role in LEADER_ROLES):
        return ImportBatch.objects.none()
    batches = ImportBatch.objects.select_related("by")
    return batches.filter(kind=kind) if kind else batches


def import_batch_get(*, user, pk: int) -> ImportBatch:
    from django.http import Http404

    batch = import_batches(user=user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


# --- The change log ----------------------------------------------------------------------


def changes(
    *,
    user,
    by_id: int | None = None,
    model: ContentType | None = None,
    school_id: int | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[ObjectChange]:
    """The entries the user may read, newest first: staff read every entry; a school
    user those about their school's objects."""
    entries = ObjectChange.objects.for_user(user).select_related("content_type", "school")
    if by_id:
        entries = entries.filter(by_id=by_id)
    if model is not None:
        entries = entries.filter(content_type=model)
    if school_id:
        entries = entries.filter(school_id=school_id)
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(time__date__gte=since)
    if until:
        entries = entries.filter(time__date__lte=until)
    return entries.order_by("-time", "-id")


def object_history(*, user, model: ContentType, object_id: str) -> QuerySet[ObjectChange]:
    return changes(user=user, model=model).filter(object_id=object_id)


def object_visible(*, user, model: ContentType, object_id: str):
    """The object itself when it exists and the user may see it, else None: through
    its model's scope (gigaportal.scope), or, for a model without a school, to the
    center's side only."""
    from gigaportal.scope import ScopedQuerySet, sees_all_schools

    model_class = model.model_class()
    if model_class is None:
        return None
    queryset = model_class._default_manager.all()
    if isinstance(queryset, ScopedQuerySet):
        queryset = queryset.for_user(user)
    elif not sees_all_schools(user):
        return None
    try:
        return queryset.filter(pk=object_id).first()
    except (ValueError, TypeError):
        return None


def logged_models() -> list[ContentType]:
    """The object types the log holds, for the list's filter."""
    ids = ObjectChange.objects.order_by().values_list("content_type_id", flat=True).distinct()
    return sorted(ContentType.objects.filter(pk__in=list(ids)), key=lambda ct: str(ct))


def changers() -> QuerySet[User]:
    """The people the log names (for the list's filter)."""
    ids = ObjectChange.objects.order_by().values_list("by_id", flat=True).distinct()
    return User.objects.filter(pk__in=[i for i in ids if i]).order_by("username")
