"""Role checks for views. Who may open a page is decided here by role; which rows
they see is decided by gigaportal.scope."""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from gigaportal.roles import ALL_ROLES, STAFF_ROLES


def has_role(user, roles: Iterable[str]) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in set(roles))


class RoleRequiredMixin(LoginRequiredMixin):
    """Anonymous users go to the login page; a signed-in user of another role gets 403."""

    allowed_roles: frozenset[str] = STAFF_ROLES

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, self.allowed_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class StaffRequiredMixin(RoleRequiredMixin):
    allowed_roles = STAFF_ROLES


class AnyRoleMixin(RoleRequiredMixin):
    """Any signed-in portal user; rows are then narrowed by gigaportal.scope."""

    allowed_roles = ALL_ROLES


def role_required(roles: Iterable[str]):
    """The function-view form of RoleRequiredMixin."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


staff_required = role_required(STAFF_ROLES)
any_role_required = role_required(ALL_ROLES)
