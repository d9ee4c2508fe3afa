"""The one place that decides which schools' rows a user may reach.

Scope is a property of the model, not a convention of each caller: a school-owned
model names its path to School once (`school_path`) and uses `ScopedQuerySet` as its
manager, so every read a person sees starts from `Model.objects.for_user(user)`:

    class Device(models.Model):
        school_path = "school"
        objects = ScopedQuerySet.as_manager()

    Device.objects.for_user(user).filter(...)
    Device.objects.for_user(user).get_or_404(pk=pk)   # another school's row: 404

Center staff (support staff, the leader) and administrators reach every school; a
school user reaches only their own; anybody else (anonymous, inactive) reaches
nothing. Management commands pass `COMMAND_LINE`.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404

from gigaportal.roles import STAFF_ROLES, Role


def sees_all_schools(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


def school_of(user) -> int | None:
    """The one school a school user is bound to, else None."""
    if user.is_authenticated and user.is_active and user.role == Role.SCHOOL:
        return user.school_id
    return None


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows its model's path to School (`Model.school_path`)."""

    def for_user(self, user) -> ScopedQuerySet:
        """The rows of the schools `user` may see."""
        if sees_all_schools(user):
            return self
        school_id = school_of(user)
        if school_id is None:
            return self.none()
        return self.filter(**{self.model.school_path: school_id})

    def get_or_404(self, **lookup):
        """One row, or a 404 (a row outside the scope is not even admitted to exist)."""
        try:
            return self.get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None


class _Operator:
    """Who acts when no portal user does: sees every school, is nobody's account."""

    is_authenticated = True
    is_active = True
    role = Role.ADMIN
    school_id = None
    school = None
    pk = None
    id = None
    username = ""
    display_name = ""

    def __str__(self) -> str:
        return self.display_name


class _CommandLineOperator(_Operator):
    """Whoever runs a management command on the server: the operator already has the
    database, so commands see every school and act as this operator (recorded in the
    change log as the command line and the login that ran it) unless given
    `--as USER`. Never a view's user."""

    @property
    def display_name(self) -> str:
        """The server login that ran the command (the change log shows it beside
        "command line")."""
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # no login name in a bare container
            return ""

    def __repr__(self) -> str:
        return "COMMAND_LINE"


COMMAND_LINE = _CommandLineOperator()


class _System(_Operator):
    """Work the portal does on its own (a worker evaluating a month after an import, the
    beat sweep): recorded in the change log as the system, never as a person."""

    display_name = ""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()
