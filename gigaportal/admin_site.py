from django.contrib import admin

from gigaportal.roles import Role


class PortalAdminSite(admin.AdminSite):
    """Django admin is for the administrator role only: is_staff alone (as a careless
    createsuperuser or shell edit might leave it) is not enough.

    The apps' admin modules are imported the first time the site is asked for its URLs
    (the URL conf) or checked (`manage.py check`, every server start), not when Django
    starts: they import every app's forms and services, which a management command
    such as `import_traffic` never uses (a third of its start-up, measured by
    benchmarks/startup.py). gigaportal.apps.PortalAdminConfig skips the discovery at
    start-up."""

    def discover(self) -> None:
        # Idempotent: a module already imported is not imported again.
        admin.autodiscover()

    def get_urls(self):
        self.discover()
        return super().get_urls()

    def check(self, app_configs):
        self.discover()
        return super().check(app_configs)

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "role", None) == Role.ADMIN)
