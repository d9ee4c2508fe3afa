from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from gigaportal import changelog, selectors
from gigaportal.clientip import client_ip, ip_allowed
from gigaportal.lists import PortalListView
from gigaportal.models import Heartbeat, School
from gigaportal.params import choice_param
from gigaportal.permissions import AnyRoleMixin
from gigaportal.reports.portal import schools_report
from gigaportal.roles import Role

HOME_TEMPLATES = {
    Role.SUPPORT: "home/support.html",
    Role.LEADER: "home/leader.html",
    Role.SCHOOL: "home/school.html",
    Role.ADMIN: "home/admin.html",
}


def _app_contexts(function: str, **kwargs) -> dict[str, dict]:
    """What each app adds to a shared page: an app whose `home.py` offers `function`
    (`context(*, user)` for the home pages, `school_context(*, user, school)` for a
    school's page) is asked, in INSTALLED_APPS order; its template
    (`templates/<app>/_home.html`, `_school.html`) reads the result as `apps.<app>`."""
    found = {}
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.home")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.home":
                raise
            continue
        if hasattr(module, function):
            found[config.label] = getattr(module, function)(**kwargs)
    return found


def _app_home_context(user) -> dict[str, dict]:
    return _app_contexts("context", user=user)


@login_required
def home(request):
    """Each role lands on its own page; the apps add their cards to it."""
    template = HOME_TEMPLATES.get(request.user.role, "home/support.html")
    context = {
        "fiscal_year": selectors.current_fiscal_year(),
        "apps": _app_home_context(request.user),
    }
    if request.user.role == Role.SCHOOL:
        context["school"] = request.user.school
    return render(request, template, context)


class SchoolListView(PortalListView):
    template_name = "gigaportal/school_list.html"
    context_object_name = "schools"
    paginate_by = 100
    sort_fields = {"code": ("code",), "name": ("name", "code"), "kind": ("kind", "code")}
    default_sort = "code"
    download_name = "schools"

    def get_base_queryset(self):
        return selectors.school_list(
            user=self.request.user,
            kind=choice_param(self.request.GET, "kind", School.Kind.values),
            query=self.search,
        )

    def download_report(self, queryset):
        return schools_report(schools=queryset)

    def get_context_data(self, **kwargs):
        return super().get_context_data(kinds=School.Kind.choices, **kwargs)


class SchoolDetailView(AnyRoleMixin, DetailView):
    """A school's hub: everything about it, each with its count, one link away."""

    template_name = "gigaportal/school_detail.html"
    context_object_name = "school"

    def get_object(self, queryset=None):
        return selectors.school_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            apps=_app_contexts("school_context", user=self.request.user, school=self.object),
            **kwargs,
        )


def _broker_status() -> tuple[bool, str]:
    from django.conf import settings

    from gigaportal.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "in-process"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any broker failure means unhealthy; say which
        return False, type(exc).__name__
    return True, "ok"


def _database_status() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, type(exc).__name__
    return True, "ok"


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to: a redirect to the icon,
    not the 404 page, whose forms would set a new CSRF cookie when that request left
    before the login page's cookie was stored (the login post then failed). A
    temporary redirect, kept a day: the icon's name carries its hash, and a browser
    keeping a permanent redirect would ask for an old name after an upgrade."""
    from django.templatetags.static import static

    response = HttpResponseRedirect(static("gigaportal/favicon.svg"))
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response


@never_cache
@require_GET
def healthz(request):
    """For load balancers and docker compose: 200 when the database and the broker
    answer, 503 otherwise. Says nothing secret."""
    db_ok, db_detail = _database_status()
    broker_ok, broker_detail = _broker_status()
    healthy = db_ok and broker_ok
    beat = None
    if db_ok:
        last = Heartbeat.objects.filter(name="beat").values_list("seen_at", flat=True).first()
        beat = last.isoformat() if last else None
    body = {"status": "ok" if healthy else "unhealthy"}
    # The parts' states (which part is down, and how) are for the operators' network.
    if ip_allowed(client_ip(request), settings.HEALTHZ_ALLOWED_IPS):
        # Informational: beat runs every five minutes once deployed.
        body.update(database=db_detail, broker=broker_detail, beat_last_seen=beat)
    return JsonResponse(body, status=200 if healthy else 503)


class PasswordChangeView(auth_views.PasswordChangeView):
    """A person's own new password, recorded in the change log (never the password)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        changelog.record(
            by=self.request.user,
            action=changelog.Action.UPDATE,
            obj=self.request.user,
            changes={"password": ["", str(_("(changed by its owner)"))]},
        )
        return response
