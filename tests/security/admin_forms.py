"""The POST data of a Django admin change form as the browser would send it back,
read from the GET response's context (main form and every inline formset)."""

from __future__ import annotations

import datetime as dt

from django.db.models.fields.files import FieldFile


def _plain(value):
    if value is None or isinstance(value, FieldFile) and not value:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _fields(form, data: dict) -> None:
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
            continue
        if isinstance(value, list | tuple):
            data[key] = [_plain(v) for v in value]
            continue
        data[key] = _plain(value)


def change_form_data(response) -> dict:
    data: dict = {}
    _fields(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.forms:
            _fields(form, data)
    return data


def prefix_of(response, model_name: str) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == model_name:
            return inline.formset.prefix
    raise KeyError(model_name)
