"""A school user acknowledges a step-② notice in real Chromium; another school cannot see it."""

import pytest

from gigaportal.calendar import Month
from tests.conftest import browser_login, screenshot
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import SchoolNotice

SEP, OCT = Month(2022, 9), Month(2022, 10)


@pytest.mark.browser
def test_a_school_user_acknowledges_a_notice_that_another_school_cannot_see(
    page, school_a, school_a_user, school_b_user
):
    make_policy()
    line = make_line(school=school_a, number="070-4444-0001")
    set_usage(line, SEP, 260)
    set_usage(line, OCT, 180)
    services.evaluation_run(month=SEP)
    services.evaluation_run(month=OCT)
    notice = SchoolNotice.objects.get()

    browser_login(page, "school_a_user")
    page.goto("/traffic/inbox/")
    inbox = page.get_by_test_id("inbox")
    assert "未確認" in inbox.inner_text()
    screenshot(page, "traffic-inbox")
    inbox.get_by_text("通信量についてのお知らせ").click()
    body = page.get_by_test_id("notice-body").inner_text()
    assert "070-4444-0001" in body and "2022年10月" in body
    page.get_by_test_id("acknowledge").click()
    assert "確認しました" in page.get_by_test_id("acknowledged").inner_text()
    screenshot(page, "traffic-notice-acknowledged")
    notice.refresh_from_db()
    assert notice.acknowledged_by == school_a_user and notice.acknowledged_at is not None

    page.context.clear_cookies()
    browser_login(page, "school_b_user")
    page.goto("/traffic/inbox/")
    assert "お知らせはありません" in page.get_by_test_id("inbox").inner_text()
    response = page.goto(f"/traffic/inbox/{notice.pk}/")
    assert response.status == 404
