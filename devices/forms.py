from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.models import Device, DeviceEvent
from devices.serials import normalize_serial
from gigaportal.models import School

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


class BreakageForm(FaultFields):
    """Staff at a school: the device, what happened, and the spare handed over."""

    field_order = ["school", "serial", "kind", "cause", "spare_serial", "note", "date"]

    school = forms.ModelChoiceField(
        label=_("school"), queryset=School.objects.filter(is_active=True).order_by("code")
    )
    serial = SerialField(
        label=_("serial number"), max_length=40, widget=_serial_input("serial-options")
    )
    spare_serial = SerialField(
        label=_("spare issued (optional)"),
        max_length=40,
        required=False,
        widget=_serial_input("spare-options"),
    )
    date = forms.DateField(
        label=_("date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker stops at today; the service refuses a later date.
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()


class FaultReportForm(FaultFields):
    """A school user's report; staff confirm it and issue the spare."""

    field_order = ["serial", "kind", "cause", "note"]

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
    school = forms.ModelChoiceField(
        label=_("school"), queryset=School.objects.order_by("code"), required=False
    )
    model = forms.ModelChoiceField(label=_("model"), queryset=None, required=False)
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("All statuses")), *Device.Status.choices], required=False
    )

    def __init__(self, *args, schools=None, **kwargs):
        from devices.models import DeviceModel

        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = DeviceModel.objects.all()
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
