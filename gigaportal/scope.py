"""The one place that decides which schools' rows a user may reach.

Every selector that returns rows a user sees passes its queryset through
`scope_queryset`; every object a user opens by id comes through `scoped_get_or_404`.
Center staff (support staff, the leader, admins) reach every school; a school user
reaches only their own; anybody else reaches nothing.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404

from gigaportal.roles import STAFF_ROLES, Role


def sees_all_schools(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


def scope_queryset(queryset: QuerySet, user, *, school_field: str = "school") -> QuerySet:
    """Narrows a queryset to the rows of the schools `user` may see.

    `school_field` is the lookup path from the model to School ("school",
    "device__school", or "pk" for School itself).
    """
    if sees_all_schools(user):
        return queryset
    if user.is_authenticated and user.is_active and user.role == Role.SCHOOL and user.school_id:
        return queryset.filter(**{school_field: user.school_id})
    return queryset.none()


def scoped_get_or_404(queryset: QuerySet, user, *, school_field: str = "school", **lookup) -> Model:
    """Fetches one object the user may see. Another school's object is a 404, so a
    school user cannot even learn that it exists."""
    try:
        return scope_queryset(queryset, user, school_field=school_field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404 from None


def may_see_school(user, school_id: int | None) -> bool:
    if sees_all_schools(user):
        return True
    return bool(
        school_id is not None
        and user.is_authenticated
        and user.is_active
        and user.role == Role.SCHOOL
        and user.school_id == school_id
    )


class _CommandLineOperator:
    """Whoever runs a management command on the server: the operator already has the
    database, so commands see every school. Pass `COMMAND_LINE` as the `user` of a
    selector from a command, never from a view."""

    is_authenticated = True
    is_active = True
    role = Role.ADMIN
    school_id = None
    pk = None

    def __repr__(self) -> str:
        return "COMMAND_LINE"


COMMAND_LINE = _CommandLineOperator()
