"""Production settings, checked in fresh interpreters: the settings module is read once
per process, so each case starts its own `python` with its own environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); from django.conf import settings; print('DEBUG', settings.DEBUG)"


def production_env(**overrides: str | None) -> dict[str, str]:
    """A production-like environment: nothing of the test run's own settings leaks in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_SETTINGS_MODULE": "gigaportal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.jp",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'db.sqlite3'}"),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        # A server has no developer local.env (the checkout running the tests may).
        "LOCAL_ENV_FILE": str(ROOT / "no-such-local.env"),
        "REDIS_CACHE_URL": "redis://127.0.0.1:6379/15",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_without_a_single_warning():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_does_warn_when_https_hardening_is_turned_off():
    # The check above is only worth something if it can fail: HTTPS=false (for tests over
    # plain HTTP) drops the secure cookies and HSTS, and check --deploy must say so.
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(HTTPS="false"),
    )
    assert result.returncode != 0
    assert "security.W012" in result.stderr + result.stdout  # SESSION_COOKIE_SECURE


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off():
    result = run(["-c", SETUP], production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_refuse_the_development_secret_key_in_production():
    result = run(["-c", SETUP], production_env(SECRET_KEY="django-insecure-local-development-only"))
    assert result.returncode != 0
    assert "must not be the development key" in result.stderr


def test_settings_refuse_to_start_with_a_misspelt_debug():
    result = run(["-c", SETUP], production_env(DEBUG="ture", SECRET_KEY=None))
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_settings_start_without_a_secret_key_in_debug_and_default_to_debug_off():
    assert run(["-c", SETUP], production_env(DEBUG="true", SECRET_KEY=None)).stdout.strip() == (
        "DEBUG True"
    )
    assert run(["-c", SETUP], production_env(DEBUG=None)).stdout.strip() == "DEBUG False"


def test_settings_refuse_a_bad_number_and_a_bad_email_url():
    bad_int = run(["-c", SETUP], production_env(EMAIL_TIMEOUT="soon"))
    assert bad_int.returncode != 0
    assert "EMAIL_TIMEOUT='soon' is not a whole number" in bad_int.stderr
    bad_url = run(["-c", SETUP], production_env(EMAIL_URL="imap://mail.example.jp"))
    assert bad_url.returncode != 0
    assert "EMAIL_URL scheme 'imap' is not supported" in bad_url.stderr


def test_settings_refuse_tls_and_ssl_together_in_the_email_host_form():
    result = run(
        ["-c", SETUP],
        production_env(EMAIL_HOST="mail.example.jp", EMAIL_USE_TLS="true", EMAIL_USE_SSL="true"),
    )
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL" in result.stderr


def test_email_url_configures_the_smtp_backend():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS)"
    )
    result = run(["-c", code], production_env(EMAIL_URL="smtp://u:p@mail.example.jp:587?tls=1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.jp",
        "587",
        "True",
    ]


def test_the_test_run_itself_is_japanese_and_in_tokyo():
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert [code for code, _name in settings.LANGUAGES] == ["ja", "en"]


def test_check_deploy_warns_when_production_has_no_broker():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(REDIS_URL=None, REDIS_CACHE_URL=None),
    )
    assert result.returncode != 0
    assert "gigaportal.W001" in result.stderr + result.stdout


def test_the_cache_may_not_share_the_brokers_redis_database():
    result = run(["-c", SETUP], production_env(REDIS_CACHE_URL="redis://127.0.0.1:6379/0"))
    assert result.returncode != 0
    assert "REDIS_CACHE_URL" in result.stderr
