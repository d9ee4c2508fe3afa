from django.contrib import admin

from gigaportal.roles import Role


class PortalAdminSite(admin.AdminSite):
    """Django admin is for the administrator role only: is_staff alone (as a careless
    createsuperuser or shell edit might leave it) is not enough."""

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "role", None) == Role.ADMIN)
