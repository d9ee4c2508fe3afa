from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from gigaportal.forms import single_line
from security import rules
from security.models import CheckResult, Cost
from security.services import SoftwareInput

# A link people open from the register: the web's schemes only (never javascript:).
WEB_URL = URLValidator(schemes=["http", "https"])


class SoftwareRequestForm(forms.Form):
    name = forms.CharField(label=_("software"), max_length=200, validators=[single_line])
    url = forms.URLField(
        label=_("URL"), max_length=500, validators=[WEB_URL], assume_scheme="https"
    )
    purpose = forms.CharField(
        label=_("purpose"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Which classes or grades use it, and for what."),
    )
    cost = forms.ChoiceField(
        label=_("cost"), choices=Cost.choices, widget=forms.RadioSelect, initial=Cost.FREE
    )
    needs_google_sign_in = forms.BooleanField(
        label=_("Pupils sign in with their Google account"), required=False
    )
    pupil_data = forms.CharField(
        label=_("pupils' data it collects"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Names, classes, answers, photos…; none if it collects nothing."),
    )
    terms_url = forms.URLField(
        label=_("terms of service (URL)"),
        max_length=500,
        required=False,
        validators=[WEB_URL],
        assume_scheme="https",
    )
    terms_notes = forms.CharField(
        label=_("notes on its terms"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def to_input(self) -> SoftwareInput:
        data = self.cleaned_data
        return SoftwareInput(
            name=data["name"],
            url=data["url"],
            purpose=data["purpose"],
            cost=data["cost"],
            needs_google_sign_in=data["needs_google_sign_in"],
            pupil_data=data["pupil_data"],
            terms_url=data["terms_url"],
            terms_notes=data["terms_notes"],
        )


DECISIONS = [
    ("", _("Save the checklist only")),
    (rules.Decision.APPROVE.value, _("Approve")),
    (rules.Decision.REJECT.value, _("Do not approve")),
]


class ReviewForm(forms.Form):
    check_sign_on = forms.ChoiceField(
        label=_("single sign-on setting (Google Workspace)"), choices=CheckResult.choices
    )
    check_personal_data = forms.ChoiceField(label=_("personal data"), choices=CheckResult.choices)
    check_security_terms = forms.ChoiceField(
        label=_("the service's security terms"), choices=CheckResult.choices
    )
    review_notes = forms.CharField(
        label=_("review notes"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    conditions = forms.CharField(
        label=_("conditions"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    decision = forms.ChoiceField(
        label=_("decision"), choices=DECISIONS, required=False, widget=forms.RadioSelect
    )

    def checklist(self) -> rules.Checklist:
        data = self.cleaned_data
        return rules.Checklist(
            sign_on=rules.Check(data["check_sign_on"]),
            personal_data=rules.Check(data["check_personal_data"]),
            security_terms=rules.Check(data["check_security_terms"]),
        )

    def decision_value(self) -> rules.Decision | None:
        value = self.cleaned_data.get("decision")
        return rules.Decision(value) if value else None
