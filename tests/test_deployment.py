"""The deployment as written: docker-compose.yml (parsed, since no Docker engine runs
here), the Dockerfile, and the production static-file pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_every_service_with_a_health_check(compose):
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"], name


def test_web_runs_migrations_then_gunicorn(compose):
    command = compose["services"]["web"]["command"]
    assert command.index("manage.py migrate") < command.index("gunicorn gigaportal.wsgi")
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_worker_and_beat_run_celery_from_the_same_image(compose):
    services = compose["services"]
    assert services["worker"]["command"].startswith("celery -A gigaportal worker")
    assert services["beat"]["command"].startswith("celery -A gigaportal beat")
    assert services["worker"]["image"] == services["web"]["image"] == services["beat"]["image"]


def test_app_services_wait_for_healthy_postgres_and_redis(compose):
    for name in ("web", "worker", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_secrets_come_from_the_env_file_not_the_compose_file(compose):
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        assert service["env_file"] == ".env"
        # manage.py defaults to development mode; the deployment must say otherwise.
        assert service["environment"]["DEBUG"] == "false"
        assert "SECRET_KEY" not in service.get("environment", {})
    assert (
        "${POSTGRES_PASSWORD:?"
        in compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    )
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for variable in ("SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS", "EMAIL_URL"):
        assert f"{variable}=" in example


def test_postgres_and_redis_keep_their_data_in_volumes(compose):
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    assert {"pgdata", "redisdata"} <= set(compose["volumes"])


def test_the_image_collects_static_files_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "collectstatic --noinput" in dockerfile
    assert "gunicorn" in dockerfile
    assert "USER portal" in dockerfile


def test_production_static_pipeline_hashes_bootstrap_locally(tmp_path):
    """collectstatic with the production storage, as the Dockerfile runs it: Bootstrap
    must be among the portal's own files (no CDN on a closed school network)."""
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 50,
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    script = (
        "import django, os; from django.conf import settings; "
        f"os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gigaportal.settings'); django.setup(); "
        f"settings.STATIC_ROOT = {str(tmp_path / 'static')!r}; "
        "from django.core.management import call_command; call_command('collectstatic', '--noinput', verbosity=0)"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=300)
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "js-lib-bootstrap5/css/bootstrap.min.css" in manifest
    assert "gigaportal/portal.css" in manifest


def test_templates_load_no_asset_from_the_internet():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for needle in ("cdn.", "jsdelivr", "unpkg", "googleapis", "cloudflare", "bootstrapcdn"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders


def test_make_run_links_e_mails_to_the_port_it_serves_on():
    """Issue 9, bug 5: `PORT=8080 make run` put :8000 in the scheduling e-mail's link."""
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=8080", "HOST=0.0.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [serve] = [line for line in plan.splitlines() if "runserver" in line]
    assert "PORTAL_BASE_URL=http://0.0.0.0:8080 " in serve
    assert serve.endswith("runserver 0.0.0.0:8080")


def test_the_worker_can_be_scaled_it_holds_no_state_of_its_own(compose):
    """`docker compose up --scale worker=N`: no fixed name or published port, no beat
    inside a worker (the schedule would run N times), files on the shared volume."""
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    command = worker["command"]
    assert " -B" not in command and "--beat" not in command
    assert "beat" in compose["services"] and "beat" in compose["services"]["beat"]["command"]
    assert any(str(volume).startswith("media:") for volume in worker.get("volumes", []))


def test_gunicorn_workers_draw_a_chart_as_they_start(monkeypatch):
    """gunicorn.conf.py (read from the working directory) hooks post_worker_init, which
    gunicorn accepts as that setting and which leaves matplotlib with its Japanese font
    loaded: the first chart a person opens is not the one that pays for it."""
    import logging
    import runpy
    import types

    from gunicorn.config import Config

    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("post_worker_init", hooks["post_worker_init"])  # gunicorn checks its arity
    from gigaportal import charts

    drawn = []
    real_warm_up = charts.warm_up
    monkeypatch.setattr(charts, "warm_up", lambda: drawn.append(real_warm_up()))
    config.post_worker_init(types.SimpleNamespace(log=logging.getLogger("gunicorn.error")))
    assert len(drawn) == 1 and drawn[0].startswith(b"\x89PNG")
    # A chart library problem is logged; the worker goes on to serve pages.
    monkeypatch.setattr(charts, "warm_up", lambda: 1 / 0)
    logged = []
    log = types.SimpleNamespace(exception=lambda message: logged.append(message))
    config.post_worker_init(types.SimpleNamespace(log=log))
    assert logged == ["chart warm-up failed"]
    from matplotlib import font_manager

    from gigaportal.charts import FONT_FAMILY

    assert "IPAexGothic" in FONT_FAMILY
    font = font_manager.findfont(FONT_FAMILY, fallback_to_default=False)
    assert "ipaexg" in font.lower()
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    # The font list is built at build time where the image keeps it.
    assert "MPLCONFIGDIR=/app/.matplotlib" in dockerfile
    assert "matplotlib.font_manager" in dockerfile
    # … in a folder the portal user owns: matplotlib ignores a config folder it cannot
    # write, and builds the list again in a temporary one in every process.
    assert "chown -R portal /app/.matplotlib" in dockerfile
    assert dockerfile.index("chown -R portal /app/.matplotlib") < dockerfile.index("USER portal")
    assert "gunicorn.conf.py" not in (ROOT / ".dockerignore").read_text(encoding="utf-8")
