"""Form pieces every app shares, so that a choice reads the same everywhere: a required
choice starts on "選択してください", a filter's empty choice is "すべての…"."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gigaportal import submits
from gigaportal.dates import date_window, validate_in_window
from gigaportal.models import School

CHOOSE = _("Choose…")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def single_line(value) -> None:
    """A code or a name is one line: a school code `RT\r\nSet-Cookie: a=b` would reach a
    download's header, a name with a line break breaks every list it is in."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(
            _("Line breaks, tabs and other control characters are not allowed here."),
            code="control_characters",
        )


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


SUBMIT_TOKEN_FIELD = "submit_token"


class SubmitTokenMixin:
    """A form that creates something carries a one-time token (gigaportal.submits):
    issued to `submitter` when the form is shown, checked when it comes back. The view
    spends it with `submits.submit_once(token=form.submit_token, …)`.

    A token that is not the submitter's, or is stale, is a message on the form, and
    the form shown again carries a fresh one, so sending it again works."""

    def __init__(self, *args, submitter, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitter = submitter
        self.fields[SUBMIT_TOKEN_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        if not self.is_bound:
            self.initial[SUBMIT_TOKEN_FIELD] = submits.token_issue(user=submitter)

    def clean(self):
        data = super().clean()
        try:
            submits.token_check(
                token=self.cleaned_data.get(SUBMIT_TOKEN_FIELD) or "", user=self.submitter
            )
        except submits.SubmitRefused as exc:
            self.data = self.data.copy()
            self.data[self.add_prefix(SUBMIT_TOKEN_FIELD)] = submits.token_issue(
                user=self.submitter
            )
            raise ValidationError(exc.message, code="submit_token") from None
        return data

    @property
    def submit_token(self) -> str:
        return self.cleaned_data[SUBMIT_TOKEN_FIELD]


class WindowDateField(forms.DateField):
    """A date inside the portal's date window (gigaportal.dates.date_window): a year
    0001 or 9999 typed or forged is refused with the window in the message. The
    browser's date picker is given the same bounds (`min`, `max`), refreshed for each
    form, so a process running over New Year offers the new year too."""

    default_validators = [validate_in_window]

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        window = date_window()
        attrs.update(min=window.start.isoformat(), max=window.end.isoformat())
        return attrs

    def __deepcopy__(self, memo):
        field = super().__deepcopy__(memo)
        field.widget.attrs.update(field.widget_attrs(field.widget))
        return field


class WindowFiscalYearField(forms.IntegerField):
    """A fiscal year that begins inside the date window (2000 to next year by default)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_validate_fiscal_year)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        years = date_window().fiscal_years
        attrs.update(min=years.start, max=years.stop - 1)
        return attrs


def _validate_fiscal_year(value) -> None:
    years = date_window().fiscal_years
    if value is not None and value not in years:
        raise ValidationError(
            _("Fiscal years from %(first)s to %(last)s are accepted.")
            % {"first": years.start, "last": years.stop - 1},
            code="outside_date_window",
        )
