"""The fixed cast every test uses: two schools, and one user per role, with the
school users at different schools."""

from __future__ import annotations

import os
import shutil

import pytest

from gigaportal.models import School
from gigaportal.roles import Role
from tests.factories import make_school, make_user


def pytest_configure(config):
    # Production settings hash static files at collectstatic time; tests serve them
    # straight from the apps instead (tests/gigaportal/test_deploy.py checks the
    # production pipeline itself).
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Strong hashing costs 0.3 s a user; tests make hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the per-person rate limits count in it,
    and ids repeat between tests on SQLite."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def school_a(db):
    return make_school(code="A001", name="青葉小学校", kind=School.Kind.ELEMENTARY)


@pytest.fixture
def school_b(db):
    return make_school(code="B001", name="第一中学校", kind=School.Kind.JUNIOR_HIGH)


@pytest.fixture
def support_staff(db):
    return make_user(role=Role.SUPPORT, username="support_staff", full_name="佐藤 健")


@pytest.fixture
def leader(db):
    return make_user(role=Role.LEADER, username="leader", full_name="高橋 美咲")


@pytest.fixture
def school_a_user(school_a):
    return make_user(role=Role.SCHOOL, school=school_a, username="school_a_user")


@pytest.fixture
def school_b_user(school_b):
    return make_user(role=Role.SCHOOL, school=school_b, username="school_b_user")


@pytest.fixture
def admin(db):
    return make_user(role=Role.ADMIN, username="admin", full_name="管理者 山本")


@pytest.fixture
def cast(support_staff, leader, school_a_user, school_b_user, admin):
    return {
        "support_staff": support_staff,
        "leader": leader,
        "school_a_user": school_a_user,
        "school_b_user": school_b_user,
        "admin": admin,
    }


# --- Real services -------------------------------------------------------------------

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _unavailable(reason: str):
    """In CI a missing service is a failure; on a laptop it is a skip that says why."""
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture
def require_postgres(db):
    """For claims about the production database: fixed query counts (SQLite's bulk
    batches are smaller, so they grow with rows there) and row locks."""
    from django.db import connection

    if connection.vendor != "postgresql":
        _unavailable("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def eager_tasks():
    """Tasks published during the test run at once, in this process, as the embedded
    default (no broker) runs them; with REDIS_URL set they would wait in the queue."""
    from gigaportal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker consuming from the real Redis broker (REDIS_URL), in a
    thread of this process, writing to the test database."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from gigaportal.celery import app

    if not settings.REDIS_URL:
        _unavailable("REDIS_URL is not set: no broker for a real worker")
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ) as worker:
        yield worker


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download is unavailable)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make between page actions are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def _csp_violations(context) -> list[str]:
    """Collects what Chromium says about Content-Security-Policy on every page of the
    context (a blocked inline script or style, or a resource from elsewhere), and any
    complaint about the Permissions-Policy header (a feature Chromium does not know)."""
    violations: list[str] = []

    def on_console(message):
        text = message.text
        if any(
            word in text
            for word in ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy")
        ):
            violations.append(f"{message.page.url if message.page else ''}: {text}")

    context.on("console", on_console)
    return violations


def _browser_context(browser, live_server, device):
    """A Japanese browser context that fails its test on any CSP violation: the
    policy is enforced, so a violation is a broken page."""
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url, **device
    )
    context.set_default_timeout(15_000)
    violations = _csp_violations(context)
    yield context.new_page()
    context.close()
    assert not violations, "Security header violations:\n" + "\n".join(violations)


@pytest.fixture
def page(browser, live_server):
    yield from _browser_context(browser, live_server, DESKTOP)


@pytest.fixture
def phone_page(browser, live_server):
    yield from _browser_context(browser, live_server, PHONE)


def browser_login(page, username: str, password: str | None = None) -> None:
    """Logs in through the real login form."""
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or PASSWORD)
    page.click("form button[type=submit]")
    # Wait for the redirect away from the login page itself: "networkidle" alone can
    # be met by the login page before the post has left (seen on a loaded machine),
    # and a failed login then times out here, saying so, not at a later click.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> None:
    """Saves a screenshot under test-artifacts/ for a person to look at."""
    os.makedirs("test-artifacts", exist_ok=True)
    page.screenshot(path=f"test-artifacts/{name}.png", full_page=True)
