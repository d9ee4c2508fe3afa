"""The CSP is enforced in a real browser, and the browser tests' check sees a breach."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import _csp_violations, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inline_script_is_blocked_and_reported(browser, live_server, school_a_user):
    context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    violations = _csp_violations(context)
    page = context.new_page()
    browser_login(page, "school_a_user")
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'document.body.dataset.ran = 1'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    ran = page.evaluate("() => document.body.dataset.ran")
    context.close()
    assert ran is None
    assert violations and "script-src" in violations[0]


def test_the_language_switch_and_the_serial_lookup_work_without_inline_scripts(
    page, support_staff, school_a
):
    from tests.devices.factories import make_device

    make_device(school=school_a, serial="DMPXCSP001")
    browser_login(page, "support_staff")
    page.goto("/devices/record/")
    page.fill("#id_serial", "DMPXCSP")
    expect(page.locator("#serial-options option")).to_have_count(1)
    page.select_option("#language-select", "en")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.documentElement.lang") == "en"
