from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.models import Device, DeviceEvent, DeviceModel
from devices.serials import normalize_serial
from gigaportal.forms import SchoolChoiceField, SubmitTokenMixin, WindowDateField

FAULT_CHOICES = [
    (DeviceEvent.Kind.BREAKAGE.value, DeviceEvent.Kind.BREAKAGE.label),
    (DeviceEvent.Kind.FAILURE.value, DeviceEvent.Kind.FAILURE.label),
]


class SerialField(forms.CharField):
    """A serial typed or pasted on a phone, in the stored form (devices.serials)."""

    def to_python(self, value):
        return normalize_serial(super().to_python(value))


def _serial_input(list_id: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "list": list_id,
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "inputmode": "text",
        }
    )


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault(
                "class", css + " form-control-lg" * (css == "form-control")
            )


class FaultFields(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("event"), choices=FAULT_CHOICES, widget=forms.RadioSelect, initial="breakage"
    )
    cause = forms.ChoiceField(
        label=_("cause"), choices=DeviceEvent.Cause.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class BreakageForm(SubmitTokenMixin, FaultFields):
    """Staff at a school: the device, what happened, and the spare handed over."""

    field_order = ["school", "serial", "kind", "cause", "spare_serial", "note", "date"]

    school = SchoolChoiceField(label=_("school"))
    serial = SerialField(
        label=_("serial number"), max_length=40, widget=_serial_input("serial-options")
    )
    spare_serial = SerialField(
        label=_("spare issued (optional)"),
        max_length=40,
        required=False,
        widget=_serial_input("spare-options"),
    )
    date = WindowDateField(label=_("date"), initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker stops at today; the service refuses a later date.
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()


class FaultReportForm(SubmitTokenMixin, FaultFields):
    """A school user's report; staff confirm it and issue the spare. Nothing is chosen
    in advance: a charging fault is a failure, not a breakage, and the school says which."""

    field_order = ["serial", "kind", "cause", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = None

    serial = SerialField(
        label=_("serial number"), max_length=40, widget=_serial_input("serial-options")
    )


class ConfirmFaultForm(BootstrapMixin, forms.Form):
    spare_serial = SerialField(
        label=_("spare issued (optional)"),
        max_length=40,
        required=False,
        widget=_serial_input("spare-options"),
    )


class DeviceFilterForm(forms.Form):
    school = SchoolChoiceField(label=_("school"), required=False)
    model = forms.ModelChoiceField(
        label=_("model"),
        queryset=DeviceModel.objects.all(),
        required=False,
        empty_label=_("All models"),
    )
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("All statuses")), *Device.Status.choices], required=False
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        if schools is not None:
            self.fields["school"].queryset = schools
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class DismissFaultForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("why it is not a fault"),
        max_length=300,
        error_messages={"required": _("Say why the report is dismissed.")},
    )


STEP_KINDS = [DeviceEvent.Kind.REPAIR, DeviceEvent.Kind.RETIRE, DeviceEvent.Kind.ISSUE]


class DeviceStepForm(SubmitTokenMixin, BootstrapMixin, forms.Form):
    """A device's next ledger step from its page. Retiring is final, so it asks for a
    reason and a tick that says the person means it."""

    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in STEP_KINDS], widget=forms.HiddenInput
    )
    date = WindowDateField(label=_("date"), initial=timezone.localdate)
    school = SchoolChoiceField(label=_("school the spare goes to"), required=False)
    note = forms.CharField(label=_("note"), required=False, max_length=500)
    confirm = forms.BooleanField(
        label=_("I understand that a retired device cannot come back."), required=False
    )

    def __init__(self, *args, kind=None, **kwargs):
        step = kind if kind in {k.value for k in STEP_KINDS} else None
        # Several step forms share a page: each its own ids, the same field names.
        kwargs.setdefault("auto_id", f"id_{step or 'step'}_%s")
        super().__init__(*args, **kwargs)
        # `step`, not `kind`: in a template, form.kind is the field.
        self.step = step
        self.initial.setdefault("kind", self.step)
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()
        if self.step != DeviceEvent.Kind.ISSUE:
            del self.fields["school"]
        if self.step == DeviceEvent.Kind.RETIRE:
            self.fields["note"].label = _("reason for retiring")
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = _("Say why the device is retired.")
        else:
            del self.fields["confirm"]

    @property
    def title(self) -> str:
        return {
            DeviceEvent.Kind.REPAIR: _("Back from repair (becomes a spare)"),
            DeviceEvent.Kind.RETIRE: _("Retire the device"),
            DeviceEvent.Kind.ISSUE: _("Issue this spare to a school"),
        }.get(self.step, "")

    def clean(self):
        data = super().clean()
        if self.step is None:
            raise forms.ValidationError(_("Choose what happened to the device."))
        if self.step == DeviceEvent.Kind.ISSUE and not data.get("school"):
            self.add_error("school", _("Choose the school the spare goes to."))
        if self.step == DeviceEvent.Kind.RETIRE and not data.get("confirm"):
            self.add_error("confirm", _("Tick the box to confirm: retiring cannot be undone."))
        return data
