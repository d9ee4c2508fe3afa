from axes import apps as axes_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class GigaportalConfig(AppConfig):
    name = "gigaportal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from gigaportal import (
            checks,  # noqa: F401  (registers the deploy checks)
            logins,  # noqa: F401  (records logins in the change log)
        )


class PortalAdminConfig(admin_apps.SimpleAdminConfig):
    """Django admin without the discovery of every app's admin module at start-up: the
    site discovers them when its URLs or checks are first needed (see
    gigaportal.admin_site.PortalAdminSite)."""

    default = False
    default_site = "gigaportal.admin_site.PortalAdminSite"

    def ready(self) -> None:
        super().ready()
        # The site itself exists from the start, so that the admin checks find it (and
        # discover its modules) whatever order the checks run in.
        self.module.site.name  # noqa: B018  (builds the lazy default site)


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a name a person reads in Django admin."""

    default = False
    verbose_name = _("Login lockout")
