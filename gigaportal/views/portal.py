from __future__ import annotations

import importlib

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from gigaportal import selectors
from gigaportal.models import Heartbeat, School
from gigaportal.permissions import AnyRoleMixin
from gigaportal.roles import Role

HOME_TEMPLATES = {
    Role.SUPPORT: "home/support.html",
    Role.LEADER: "home/leader.html",
    Role.SCHOOL: "home/school.html",
    Role.ADMIN: "home/admin.html",
}


def _app_home_context(user) -> dict[str, dict]:
    """What each app shows on the home pages: an app with a `home.py` offering
    `context(*, user) -> dict` is asked, in INSTALLED_APPS order; its template
    `templates/<app>/_home.html` reads the result as `apps.<app>`."""
    found = {}
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.home")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.home":
                raise
            continue
        found[config.label] = module.context(user=user)
    return found


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


class SchoolListView(AnyRoleMixin, ListView):
    template_name = "gigaportal/school_list.html"
    context_object_name = "schools"
    paginate_by = 100

    def get_queryset(self):
        schools = selectors.school_list(user=self.request.user)
        kind = self.request.GET.get("kind")
        if kind in School.Kind.values:
            schools = schools.filter(kind=kind)
        return schools

    def get_context_data(self, **kwargs):
        return super().get_context_data(kinds=School.Kind.choices, **kwargs)


class SchoolDetailView(AnyRoleMixin, DetailView):
    template_name = "gigaportal/school_detail.html"
    context_object_name = "school"

    def get_object(self, queryset=None):
        return selectors.school_get(user=self.request.user, pk=self.kwargs["pk"])


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
    return JsonResponse(
        {
            "status": "ok" if healthy else "unhealthy",
            "database": db_detail,
            "broker": broker_detail,
            # Informational: beat runs every five minutes once deployed.
            "beat_last_seen": beat,
        },
        status=200 if healthy else 503,
    )
