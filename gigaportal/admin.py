"""Django admin for the portal's administrators, through the same rules as the pages.

- `ChangeLoggedAdmin`: every save and delete leaves one change-log entry, with the
  fields that changed (many-to-many ones included). Where a service owns the writes,
  the admin calls it (`save_with_service`), and the service records the change.
- `ReadOnlyAdmin` / `ReadOnlyInline`: rows written only by a service (the ledger, the
  outbox, cases): admin shows them, never edits them.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from gigaportal import changelog
from gigaportal.dates import validate_in_window
from gigaportal.forms import single_line
from gigaportal.models import FiscalTerm, ImportBatch, ObjectChange, School, User
from gigaportal.services import user_role_flags, user_send_set_password_links

# Roles are a field of the user (gigaportal.roles), not Django's groups: the groups
# page would only offer permissions that nothing reads (and that Django names in
# English, "Can add …").
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

admin.site.site_header = _("GIGA school support portal administration")
admin.site.site_title = _("GIGA support portal")


def month_column(name: str, description=None):
    """A list or inline column for a month kept as its first day: 2022年4月, as every
    page writes months, not 2022年4月1日. Use it as a ModelAdmin attribute and name it
    in list_display or an inline's fields (and readonly_fields)."""
    from gigaportal import dates
    from gigaportal.calendar import Month

    def column(*args):  # (obj), or (admin, obj) as a method of the ModelAdmin
        value = getattr(args[-1], name)
        return dates.month_text(Month.of(value)) if value else "—"

    column.__name__ = f"{name}_month"
    return admin.display(description=description or _("month"), ordering=name)(column)


class _ShowOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(_ShowOnly, admin.ModelAdmin):
    """Rows written by a service only: admin shows them, never edits them."""


class ReadOnlyInline(_ShowOnly, admin.TabularInline):
    extra = 0
    can_delete = False


class ChangeLoggedAdmin(admin.ModelAdmin):
    """Saves and deletes recorded in the change log, in admin's transaction.

    The entry is written after the related objects (many-to-many fields, inlines) are
    saved, so it holds their new values too. A subclass whose model has a service
    overrides `save_with_service` to call it; the service then records the change."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Every one-line text field (a code, a name, a title) refuses control
        characters, whatever the model; notes (TextFields) keep their line breaks. Every
        date is inside the portal's date window (gigaportal.dates), as on the pages."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.CharField) and isinstance(field, forms.CharField):
            field.validators.append(single_line)
        if (
            isinstance(db_field, models.DateField)
            and not isinstance(db_field, models.DateTimeField)
            and isinstance(field, forms.DateField)
        ):
            field.validators.append(validate_in_window)
        return field

    def logged_fields(self, form) -> list[str]:
        names = {f.name for f in self.model._meta.get_fields() if f.concrete or f.many_to_many}
        return [name for name in form.base_fields if name in names]

    def save_with_service(self, request, obj, form, change) -> bool:
        """Returns True when a service saved (and logged) the object."""
        return False

    def save_model(self, request, obj, form, change):
        fields = self.logged_fields(form)
        before = None
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = changelog.values(stored, fields) if stored else None
        if self.save_with_service(request, obj, form, change):
            form._changelog = None
            return
        super().save_model(request, obj, form, change)
        form._changelog = (before, fields, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        pending = getattr(form, "_changelog", None)
        if pending is None:
            return
        before, fields, changed = pending
        changelog.record(
            by=request.user,
            action=changelog.Action.UPDATE if changed else changelog.Action.CREATE,
            obj=form.instance,
            before=before,
            fields=fields,
        )

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._record_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._record_deletion(request, obj)
            super().delete_queryset(request, queryset)

    def _record_deletion(self, request, obj) -> None:
        fields = [f.name for f in obj._meta.concrete_fields if not f.primary_key]
        changelog.record(
            by=request.user,
            action=changelog.Action.DELETE,
            obj=obj,
            changes={k: [v, None] for k, v in changelog.values(obj, fields).items()},
        )


@admin.register(School)
class SchoolAdmin(ChangeLoggedAdmin):
    list_display = ["code", "name", "kind", "email", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(ChangeLoggedAdmin, BaseUserAdmin):
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

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            # The password itself is never recorded, only that it was set.
            changelog.record(
                by=request.user,
                action=changelog.Action.UPDATE,
                obj=user,
                changes={"password": ["", str(_("(set in admin)"))]},
            )
        return response


@admin.register(FiscalTerm)
class FiscalTermAdmin(ChangeLoggedAdmin):
    list_display = ["fiscal_year", "number", "start", "end"]
    list_filter = ["fiscal_year"]


@admin.register(ObjectChange)
class ObjectChangeAdmin(ReadOnlyAdmin):
    list_display = ["time", "by_name", "via", "action", "content_type", "object_repr", "school"]
    list_filter = ["action", "via", "content_type"]
    list_select_related = ["content_type", "school"]
    search_fields = ["object_repr", "by_name", "object_id", "request_id"]
    date_hierarchy = "time"
    exclude = ["changes"]  # shown readable below; the JSON is in the command's CSV
    readonly_fields = ["changes_text"]

    @admin.display(description=_("changes"))
    def changes_text(self, obj) -> str:
        return "\n".join(str(line) for line in obj.lines())


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "file_name", "status", "created", "updated", "by_name"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "sha256", "by_name"]
    # The importer's own bookkeeping (its options and details); the outcome reads below.
    exclude = ["details", "options", "language"]
    readonly_fields = ["outcome", "language_name"]

    @admin.display(description=_("language"))
    def language_name(self, obj) -> str:
        """日本語 / English, as the language switch names them, not the code ("ja")."""
        return str(dict(settings.LANGUAGES).get(obj.language, obj.language or "—"))

    @admin.display(description=_("outcome"))
    def outcome(self, obj) -> str:
        from gigaportal import imports

        return imports.describe(obj)
