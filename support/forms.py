from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gigaportal.forms import (
    CHOOSE,
    SchoolChoiceField,
    SubmitTokenMixin,
    WindowDateField,
    single_line,
)
from gigaportal.models import School
from support import selectors
from support.models import Kind, Topic
from support.services import RecordInput


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class RecordForm(forms.Form):
    """What staff fill in at a school. Everything that can be guessed is prefilled:
    today's date, the time, their own name, a visit, and the school of the visit they
    tapped in today's schedule."""

    school = SchoolChoiceField(label=_("school"))
    kind = forms.ChoiceField(
        label=_("support kind"), choices=Kind.choices, initial=Kind.VISIT, widget=forms.RadioSelect
    )
    date = WindowDateField(label=_("date"))
    start_time = forms.TimeField(
        label=_("start time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration_minutes = forms.IntegerField(
        label=_("duration (minutes)"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 15}),
    )
    staff = StaffChoiceField(
        label=_("staff"), queryset=selectors.staff_list(), widget=forms.CheckboxSelectMultiple
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("topics"),
        queryset=Topic.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    what_was_done = forms.CharField(
        label=_("what was done"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_needed = forms.BooleanField(label=_("follow-up needed"), required=False)

    def __init__(self, *args, suggested_schools=(), **kwargs):
        super().__init__(*args, **kwargs)
        if suggested_schools:
            # The schools of the day come first in the list, then every school.
            field = self.fields["school"]
            first = [(s.pk, f"★ {s.code} {s.name}") for s in suggested_schools]
            rest = [(s.pk, f"{s.code} {s.name}") for s in field.queryset]
            field.choices = [
                ("", CHOOSE),
                (_("Today's visits"), first),
                (_("All schools"), rest),
            ]

    def to_input(self) -> RecordInput:
        data = self.cleaned_data
        return RecordInput(
            date=data["date"],
            school=data["school"],
            kind=data["kind"],
            staff=list(data["staff"]),
            topics=list(data["topics"]),
            start_time=data["start_time"],
            duration_minutes=data["duration_minutes"],
            what_was_done=data["what_was_done"],
            follow_up_needed=data["follow_up_needed"],
        )


class RecordCreateForm(SubmitTokenMixin, RecordForm):
    """A new record: the same fields, sent once (gigaportal.submits); an edit needs no
    token, since saving the same edit twice leaves the record as it is."""


def record_initial(*, user, request=None) -> dict:
    now = timezone.localtime()
    initial = {
        "date": now.date(),
        # The nearest quarter hour before now: a visit is usually logged at its end,
        # so staff adjust it less often than they would a blank field.
        "start_time": now.time().replace(minute=now.minute // 15 * 15, second=0, microsecond=0),
        "duration_minutes": 60,
        "staff": [user.pk],
        "kind": Kind.VISIT,
    }
    if request is not None:
        initial.update(school=request.school_id, kind=request.kind)
        if request.topic_id:
            initial["topics"] = [request.topic_id]
        if request.scheduled_time:
            initial["start_time"] = request.scheduled_time
        staff_ids = [u.pk for u in request.assigned_staff.all()]
        initial["staff"] = list(dict.fromkeys([user.pk, *staff_ids]))
    return initial


class RequestForm(SubmitTokenMixin, forms.Form):
    school = SchoolChoiceField(label=_("school"))
    kind = forms.ChoiceField(
        label=_("support kind"), choices=Kind.choices, initial=Kind.VISIT, widget=forms.RadioSelect
    )
    topic = forms.ModelChoiceField(
        label=_("topic"),
        queryset=Topic.objects.filter(is_active=True),
        required=False,
        empty_label=_("(no topic)"),
    )
    preferred_date_1 = WindowDateField(label=_("preferred date"))
    preferred_date_2 = WindowDateField(label=_("second preferred date"), required=False)
    preferred_date_3 = WindowDateField(label=_("third preferred date"), required=False)
    details = forms.CharField(
        label=_("details"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you need help with, the class or room, and who to ask for."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, submitter=user, **kwargs)
        if user.school_id:
            # A school user asks for their own school only; the field is not offered,
            # so a forged value cannot reach another school.
            del self.fields["school"]

    def preferred_dates(self) -> list:
        return [
            self.cleaned_data[name]
            for name in ("preferred_date_1", "preferred_date_2", "preferred_date_3")
            if self.cleaned_data.get(name)
        ]


class ScheduleForm(SubmitTokenMixin, forms.Form):
    staff = StaffChoiceField(
        label=_("assigned staff"),
        queryset=selectors.staff_list(),
        widget=forms.CheckboxSelectMultiple,
    )
    date = WindowDateField(label=_("date"))
    time = forms.TimeField(
        label=_("time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    note = forms.CharField(label=_("note"), required=False, max_length=300)


class CancelForm(forms.Form):
    note = forms.CharField(
        label=_("reason for cancelling"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the request is cancelled.")},
    )
    confirm = forms.BooleanField(
        label=_("Cancel this request. This cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )


class CommentForm(SubmitTokenMixin, forms.Form):
    text = forms.CharField(
        label=_("comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a comment first.")},
    )


class CampaignForm(SubmitTokenMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200, validators=[single_line])
    start = WindowDateField(label=_("first day"))
    end = WindowDateField(label=_("last day"))
    kind = forms.ChoiceField(label=_("support kind"), choices=Kind.choices, initial=Kind.VISIT)
    topic = forms.ModelChoiceField(
        label=_("topic"),
        queryset=Topic.objects.filter(is_active=True),
        required=False,
        empty_label=_("(no topic)"),
    )
    schools = forms.ModelMultipleChoiceField(
        label=_("schools"),
        queryset=School.objects.filter(is_active=True).order_by("code"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    staff = StaffChoiceField(
        label=_("staff"), queryset=selectors.staff_list(), widget=forms.CheckboxSelectMultiple
    )
    visits_per_staff_per_day = forms.IntegerField(
        label=_("visits per staff member per day"), initial=2, min_value=1, max_value=6
    )
    details = forms.CharField(
        label=_("details"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
