"""The portal as people use it, on the demo's full data, in real Chromium at a phone's
width (390 px) and a laptop's (1366 px): finding one device among 25,704, sorting and
jumping pages, a school cancelling a request through its confirmation, the calendar
on a phone, and a report as it prints.

The demo is loaded once (a live-server test empties the database after itself, and
Django restores the migrations' rows only at the start of the next one), and each size
walks every scenario in its own browser context.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from devices.models import Device
from gigaportal import demo as portal_demo
from support.models import RequestEvent, Status, SupportRequest
from tests.conftest import DESKTOP, PHONE, _csp_violations, browser_login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture
def demo(require_postgres, live_server):
    # On SQLite the live server's threads share one in-memory connection, and a report
    # page fetching its two charts at once can lock it: PostgreSQL only (as in CI).
    call_command("load_demo", "--allow-production", stdout=io.StringIO())
    return live_server


def sized_page(browser, live_server, size: str):
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url, **SIZES[size]
    )
    context.set_default_timeout(20_000)
    context.csp_violations = _csp_violations(context)
    return context, context.new_page()


def login(page, username: str) -> None:
    page.context.clear_cookies()
    browser_login(page, username, portal_demo.DEMO_PASSWORD)


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )


def one_line(page, selector: str) -> list[str]:
    """The texts of the elements whose label wraps onto a second line."""
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(el => el.offsetParent !== null).filter(el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return tops.size > 1;
        }).map(el => el.innerText)""",
    )


def off_centre(page, selector: str) -> list[str]:
    """The buttons whose label does not sit in the middle of the button (a 2.75 rem
    phone button with its text at the top)."""
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(el => el.offsetParent !== null && el.innerText.trim()).filter(el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            const text = range.getBoundingClientRect(), box = el.getBoundingClientRect();
            const gap = (text.top - box.top) - (box.bottom - text.bottom);
            return Math.abs(gap) > 3;
        }).map(el => el.innerText)""",
    )


def test_the_demo_at_phone_and_desktop_sizes(demo, browser):
    assert Device.objects.count() == 25_704
    for size in sorted(SIZES):
        context, page = sized_page(browser, demo, size)
        try:
            walk(page, size)
        finally:
            context.close()
        # Every page of the demo ran under the enforced CSP without a violation.
        assert not context.csp_violations, "\n".join(context.csp_violations)


def walk(page, size: str) -> None:

    # --- Finding one device among 25,704 by its serial ---------------------------------
    login(page, "support")
    page.goto("/devices/")
    assert page.get_by_test_id("list-count").inner_text() == "25,704 台"
    wanted = Device.objects.order_by("serial")[12_345]
    page.get_by_test_id("search-input").fill(wanted.serial.lower())
    page.get_by_test_id("list-search").get_by_role("button", name="検索").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("list-count").inner_text() == "1 台"
    rows = page.locator("[data-testid=device-table] tbody tr")
    assert rows.count() == 1 and wanted.serial in rows.first.inner_text()
    rows.first.get_by_role("link", name=wanted.serial).click()
    page.wait_for_load_state("networkidle")
    assert wanted.serial in page.locator("h1").inner_text()
    assert no_sideways_scroll(page)
    screenshot(page, f"demo-device-detail-{size}")

    # --- Sorting and jumping pages on the device list ----------------------------------
    page.goto("/devices/")
    header = page.locator("th", has_text="シリアル番号")
    assert header.get_attribute("aria-sort") == "ascending"
    header.get_by_role("link").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("th", has_text="シリアル番号").get_attribute("aria-sort") == "descending"
    newest = Device.objects.order_by("-serial").values_list("serial", flat=True)
    assert newest[0] in rows.first.inner_text()
    page.locator("#page-jump").fill("200")
    page.get_by_test_id("page-jump").get_by_role("button", name="移動").click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"[?&]page=200\b", page.url) and "sort=-serial" in page.url
    assert page.locator(".pagination .active").inner_text() == "200"
    assert newest[199 * 100] in rows.first.inner_text()
    assert no_sideways_scroll(page)
    # Buttons hold their labels on one line, in the middle (検/索, 絞り込/み before).
    assert one_line(page, ".btn") == [] and off_centre(page, ".btn") == []
    screenshot(page, f"demo-device-list-page-200-{size}")
    for url in ("/traffic/lines/", "/schools/", "/support/records/", "/devices/breakage/"):
        page.goto(url)
        assert one_line(page, ".btn") == [], url
        assert off_centre(page, ".btn") == [], url
        assert no_sideways_scroll(page), url

    # --- A school cancels a request through the confirmation ---------------------------
    # The demo has two open requests from E001, one for each size's walk.
    request = (
        SupportRequest.objects.filter(
            school__code="E001", status__in=[Status.REQUESTED, Status.SCHEDULED]
        )
        .order_by("pk")
        .first()
    )
    assert request is not None, "the demo has an open request from E001"
    status_before = request.status
    login(page, "school_a")
    page.goto(f"/support/requests/{request.pk}/")
    page.get_by_role("link", name="依頼を取り消す…").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "依頼を取り消す"
    form = page.get_by_test_id("cancel-form")
    form.get_by_label("取り消す理由").fill("校内で解決しました")
    confirm = form.locator("input[type=checkbox]")
    page.get_by_test_id("confirm-cancel").click()  # the box not ticked: not sent
    assert confirm.evaluate("el => el.validity.valueMissing")
    request.refresh_from_db()
    assert request.status == status_before
    screenshot(page, f"demo-cancel-refused-{size}")
    confirm.check()
    page.get_by_test_id("confirm-cancel").click()
    page.wait_for_load_state("networkidle")
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    event = RequestEvent.objects.filter(request=request).latest("at")
    assert (event.to_status, event.note) == (Status.CANCELLED, "校内で解決しました")
    assert "取り消しました" in page.locator(".alert-success").inner_text()

    # --- The calendar: a month grid on a laptop, an agenda on a phone ------------------
    login(page, "support")
    page.goto("/support/calendar/")
    agenda, grid = page.get_by_test_id("calendar-agenda"), page.get_by_test_id("calendar")
    if size == "phone":
        assert agenda.is_visible() and not grid.is_visible()
    else:
        assert grid.is_visible() and not agenda.is_visible()
        assert grid.locator("thead th").count() == 7
    assert no_sideways_scroll(page)
    screenshot(page, f"demo-calendar-{size}")

    # --- A report as it prints: the table, without navigation or controls --------------
    page.goto("/devices/breakage/?fy=2022")
    table = page.locator("table.table-report").first
    if size == "phone":
        # Headers keep whole words (no 令/和/3/年/度 down the column) and the first
        # column stays in view while the table scrolls.
        assert one_line(page, "table.table-report thead th") == []
        position = table.locator("tbody tr td:first-child, tbody tr th:first-child").first
        assert position.evaluate("el => getComputedStyle(el).position") == "sticky"
    page.emulate_media(media="print")
    for hidden in ("nav.navbar", "[data-testid=period-picker]", ".btn", ".nav", "footer"):
        for element in page.locator(hidden).all():
            assert not element.is_visible(), f"{hidden} is printed"
    assert (
        table.is_visible() and "令和4年度" in page.locator("h1").inner_text() + table.inner_text()
    )
    screenshot(page, f"demo-report-print-{size}")
    page.emulate_media(media="screen")
