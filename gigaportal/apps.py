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


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "gigaportal.admin_site.PortalAdminSite"


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a name a person reads in Django admin."""

    default = False
    verbose_name = _("Login lockout")
