from gigaportal.roles import LEADER_ROLES, STAFF_ROLES, Role


def portal(request):
    """Role flags for the navigation; rows are scoped elsewhere (gigaportal.scope)."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    return {
        "user_role": role,
        "sees_all_schools": role in STAFF_ROLES,
        "is_leader": role in LEADER_ROLES,
        "is_school_user": role == Role.SCHOOL,
        "is_portal_admin": role == Role.ADMIN,
    }
