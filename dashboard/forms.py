"""The pack button's form: the month it runs to, and a one-time token so a double
click or a re-sent page makes one pack (gigaportal.submits)."""

from __future__ import annotations

from django import forms

from gigaportal.forms import SubmitTokenMixin


class PackForm(SubmitTokenMixin, forms.Form):
    # Parsed with gigaportal.params.month_param by the view (a forged value is a message).
    month = forms.CharField(max_length=7, required=False)
