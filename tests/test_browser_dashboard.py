"""The leader's month in real Chromium, at a laptop's width (1366 px) and a phone's
(390 px): the dashboard for December 2022 with the papers' figures, a card followed to
its report, and the committee pack started, watched and downloaded (PDF and Excel).

Tasks run in this process (as without a broker): the live server's request commits,
and the pack is made at once; the page then follows its progress to the end."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dashboard.models import ReportPack
from gigaportal import demo as portal_demo
from tests.conftest import DESKTOP, PHONE, browser_login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def demo(require_postgres, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", "--allow-production", stdout=io.StringIO())
    return live_server


def test_the_leader_reads_december_and_downloads_the_pack(demo, browser, eager_tasks):
    for size in SIZES:
        context = browser.new_context(
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            base_url=demo.url,
            accept_downloads=True,
            **SIZES[size],
        )
        context.set_default_timeout(30_000)
        try:
            walk(context.new_page(), size)
        finally:
            context.close()


def walk(page, size: str) -> None:
    browser_login(page, "leader", portal_demo.DEMO_PASSWORD)
    page.get_by_test_id("home-dashboard-link").click()
    page.wait_for_load_state("networkidle")
    assert "記録のある最新の月" in page.get_by_test_id("period-note").inner_text()
    page.get_by_test_id("month-picker").select_option("2022-12")
    page.get_by_role("button", name="表示").click()
    page.wait_for_load_state("networkidle")
    assert "2022年12月" in page.get_by_test_id("dashboard-title").inner_text()

    devices = page.get_by_test_id("card-devices").inner_text()
    assert "iPad 破損・故障" in devices and "21" in devices
    assert "残り315台" in devices
    traffic = page.get_by_test_id("card-traffic").inner_text()
    assert "53" in traffic and "65,752" in traffic
    screenshot(page, f"dashboard-2022-12-{size}")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(el => el.tagName + '.' + el.className + ' ' + (el.innerText || '').slice(0, 40))"""
    )
    assert wide == [], wide

    # A card leads to its report for the same month.
    page.get_by_test_id("card-link-traffic").click()
    page.wait_for_load_state("networkidle")
    assert "month=2022-12" in page.url
    assert "65,752" in page.content()
    page.go_back()
    page.wait_for_load_state("networkidle")

    # The pack: started, followed to the end, both files downloaded.
    before = ReportPack.objects.count()
    page.get_by_test_id("pack-start").click()
    page.wait_for_load_state("networkidle")
    assert ReportPack.objects.count() == before + 1
    page.get_by_test_id("pack-pdf").wait_for(state="visible")
    assert page.get_by_test_id("pack-status").inner_text() == "完成"
    assert page.locator("#pack-bar").inner_text() == "100%"
    screenshot(page, f"dashboard-pack-{size}")
    for name, magic in (("pack-pdf", b"%PDF"), ("pack-xlsx", b"PK")):
        with page.expect_download() as info:
            page.get_by_test_id(name).click()
        with open(info.value.path(), "rb") as stream:
            assert stream.read(4).startswith(magic), name
