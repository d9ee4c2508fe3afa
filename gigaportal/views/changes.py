"""The change log's pages: the filterable list (the leader and administrators; a
school user sees their school's objects only) and the history of one object."""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import render
from django.views import View
from django.views.generic import ListView

from gigaportal import reports, selectors
from gigaportal.models import ObjectChange
from gigaportal.params import choice_param, date_param, int_param
from gigaportal.permissions import AnyRoleMixin, RoleRequiredMixin
from gigaportal.roles import LEADER_ROLES, Role

_MODEL_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,99}\.[a-z][a-z0-9_]{0,99}$")
_OBJECT_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def _content_type(label: str | None) -> ContentType | None:
    """'devices.device' → its ContentType, or None for anything else (a typing error,
    a NUL byte the database would refuse)."""
    if not label or not _MODEL_LABEL.match(label):
        return None
    app_label, model = label.split(".")
    return ContentType.objects.filter(app_label=app_label, model=model).first()


class ObjectChangeListView(RoleRequiredMixin, ListView):
    allowed_roles = LEADER_ROLES | {Role.SCHOOL}
    template_name = "gigaportal/objectchange_list.html"
    context_object_name = "entries"
    paginate_by = 50

    def filters(self) -> dict:
        if hasattr(self, "_filters"):
            return self._filters
        get = self.request.GET
        self._filters = {
            "by_id": int_param(get, "by"),
            "model": _content_type(get.get("model")),
            "school_id": int_param(get, "school"),
            "action": choice_param(get, "action", ObjectChange.Action.values),
            "since": date_param(get, "since"),
            "until": date_param(get, "until"),
        }
        return self._filters

    def get_queryset(self):
        return selectors.changes(user=self.request.user, **self.filters())

    def get(self, request, *args, **kwargs):
        if fmt := reports.download_requested(request):
            report = reports.get("gigaportal.changes").run(user=request.user, **self.filters())
            return reports.download_response(report, fmt, "changelog")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        for name in ("page", "download"):
            params.pop(name, None)
        filters = self.filters()
        return super().get_context_data(
            filters=filters,
            model_label=self.request.GET.get("model", ""),
            models=selectors.logged_models(),
            people=selectors.changers() if self.request.user.sees_all_schools else [],
            schools=selectors.school_list(user=self.request.user),
            actions=ObjectChange.Action.choices,
            query=params.urlencode(),
            **kwargs,
        )


class ObjectHistoryView(AnyRoleMixin, View):
    """Every change to one object the user may read. An object the user may not see
    (another school's) is a 404, whether or not it has changes."""

    def get(self, request, model: str, object_id: str):
        content_type = _content_type(model)
        if content_type is None or not _OBJECT_ID.match(object_id):
            raise Http404
        exists, visible = selectors.object_lookup(
            user=request.user, model=content_type, object_id=object_id
        )
        if exists and visible is None:
            # Another school's object (or one that moved to another school since).
            raise Http404
        entries = list(
            selectors.object_history(user=request.user, model=content_type, object_id=object_id)[
                :500
            ]
        )
        if visible is None and not entries:
            raise Http404
        text = str(visible) if visible is not None else entries[0].object_repr
        return render(
            request,
            "gigaportal/object_history.html",
            {"entries": entries, "object_repr": text, "model": content_type},
        )
