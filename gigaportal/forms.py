"""Form pieces every app shares, so that a choice reads the same everywhere: a required
choice starts on "選択してください", a filter's empty choice is "すべての…"."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gigaportal.models import School

CHOOSE = _("Choose…")


class SchoolChoiceField(forms.ModelChoiceField):
    """A school shown as "E001 青葉小学校", active schools in code order."""

    def __init__(self, *, queryset=None, **kwargs):
        kwargs.setdefault(
            "empty_label", CHOOSE if kwargs.get("required", True) else _("All schools")
        )
        super().__init__(
            queryset=queryset if queryset is not None else School.objects.filter(is_active=True),
            **kwargs,
        )

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"
