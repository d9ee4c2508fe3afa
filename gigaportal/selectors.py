"""Reads for schools, the fiscal calendar, imports and the change log. Every selector of
rows takes the user and starts from the model's scope (gigaportal.scope)."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from gigaportal import calendar
from gigaportal.models import FiscalTerm, ImportBatch, ObjectChange, School, User
from gigaportal.roles import LEADER_ROLES


def school_list(
    *, user, include_inactive: bool = False, kind: str | None = None, query: str = ""
) -> QuerySet[School]:
    """The schools the user may see; `query` finds a name or code by any part of it."""
    schools = School.objects.for_user(user)
    if not include_inactive:
        schools = schools.filter(is_active=True)
    if kind:
        schools = schools.filter(kind=kind)
    if query:
        schools = schools.filter(Q(name__icontains=query) | Q(code__icontains=query))
    return schools


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
    """Every import, newest first: for the leader and administrators only. Previews
    (gigaportal.imports.Importer.preview) brought nothing in: they are not listed."""
    if not (user.is_authenticated and user.is_active and user.role in LEADER_ROLES):
        return ImportBatch.objects.none()
    from gigaportal import imports

    batches = ImportBatch.objects.select_related("by").exclude(kind__in=imports.preview_kinds())
    return batches.filter(kind=kind) if kind else batches


def import_batch_get(*, user, pk: int) -> ImportBatch:
    """An import, or a preview of the user's own: a preview may quote the file's
    free-text answers, which only its uploader has seen."""
    from django.http import Http404

    from gigaportal import imports

    if not (user.is_authenticated and user.is_active and user.role in LEADER_ROLES):
        raise Http404
    previews = imports.preview_kinds()
    batch = (
        ImportBatch.objects.select_related("by")
        .filter(Q(by=user) | ~Q(kind__in=previews), pk=pk)
        .first()
    )
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
    # Day boundaries in the portal's time zone, compared with the indexed column itself.
    if since:
        entries = entries.filter(time__gte=_local_midnight(since))
    if until:
        entries = entries.filter(time__lt=_local_midnight(until + dt.timedelta(days=1)))
    return entries.order_by("-time", "-id")


def _local_midnight(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def object_history(*, user, model: ContentType, object_id: str) -> QuerySet[ObjectChange]:
    return changes(user=user, model=model).filter(object_id=object_id)


def object_lookup(*, user, model: ContentType, object_id: str) -> tuple[bool, object | None]:
    """(whether the object still exists, the object if the user may see it). Through its
    model's scope (gigaportal.scope); an object without a school (an account, a policy,
    an import) to the leader and administrators only."""
    from gigaportal.scope import ScopedQuerySet

    model_class = model.model_class()
    if model_class is None:
        return False, None
    everything = model_class._default_manager.all()
    try:
        found = everything.filter(pk=object_id).first()
    except (ValueError, TypeError):
        return False, None
    if found is None:
        return False, None
    if isinstance(everything, ScopedQuerySet):
        return True, everything.for_user(user).filter(pk=found.pk).first()
    leads = user.is_authenticated and user.is_active and user.role in LEADER_ROLES
    return True, found if leads else None


PORTAL_APPS = ("gigaportal", "devices", "traffic", "support", "surveys", "security")


def logged_models() -> list[ContentType]:
    """The portal's object types, for the list's filter (from the small ContentType
    table, not a scan of the log)."""
    return sorted(ContentType.objects.filter(app_label__in=PORTAL_APPS), key=lambda ct: str(ct))


def changers() -> QuerySet[User]:
    """The people who change things (for the list's filter): every active account but
    the schools'."""
    from gigaportal.roles import STAFF_ROLES

    return User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("username")
