from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from gigaportal.models import FiscalTerm, School, User
from gigaportal.services import user_role_flags, user_send_set_password_links

admin.site.site_header = _("GIGA school support portal administration")
admin.site.site_title = _("GIGA support portal")


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "email", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "role", "school", "email", "is_active"]
    list_filter = ["role", "is_active", "school__kind"]
    search_fields = ["username", "full_name", "email", "school__name"]
    autocomplete_fields = ["school"]
    actions = ["send_set_password_links"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "email")}),
        (_("Role"), {"fields": ("role", "school", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "email",
                    "role",
                    "school",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    @admin.action(description=_("E-mail a set-password link"))
    def send_set_password_links(self, request, queryset):
        sent = user_send_set_password_links(users=list(queryset.filter(is_active=True)))
        self.message_user(request, _("%(count)s set-password links e-mailed.") % {"count": sent})

    def save_model(self, request, obj, form, change):
        # Admin access follows the role, so a role change can never leave a school
        # user with Django admin rights.
        for attr, value in user_role_flags(obj.role).items():
            setattr(obj, attr, value)
        super().save_model(request, obj, form, change)


@admin.register(FiscalTerm)
class FiscalTermAdmin(admin.ModelAdmin):
    list_display = ["fiscal_year", "number", "start", "end"]
    list_filter = ["fiscal_year"]
