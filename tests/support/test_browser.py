"""The request flow and phone logging in real Chromium."""

import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from support.models import Status, SupportRecord, SupportRequest
from tests.conftest import browser_login, screenshot
from tests.support.factories import ensure_topics


def switch_user(page, username):
    page.context.clear_cookies()
    browser_login(page, username)


@pytest.mark.browser
def test_a_request_goes_from_the_school_to_done_and_another_school_sees_none_of_it(
    page, phone_page, cast, school_a, school_b, support_staff
):
    ensure_topics()
    today = timezone.localdate()

    # 1. School A asks for a visit.
    browser_login(page, "school_a_user")
    page.goto("/support/requests/new/")
    page.get_by_label("訪問支援").check()
    page.locator("[name=topic]").select_option(label="タブレット故障の一次対応")
    page.locator("[name=preferred_date_1]").fill(today.isoformat())
    page.locator("[name=details]").fill("起動しないiPadが2台あります。")
    page.get_by_test_id("send-request").click()
    assert page.get_by_test_id("request-status").inner_text() == "依頼受付"
    request = SupportRequest.objects.get()
    assert request.school == school_a

    # 2. The leader assigns the support staff member for today.
    switch_user(page, "leader")
    page.goto(f"/support/requests/{request.pk}/")
    schedule = page.get_by_test_id("schedule-form")
    schedule.get_by_label("佐藤 健").check()
    schedule.locator("[name=date]").fill(today.isoformat())
    schedule.locator("[name=time]").fill("10:30")
    schedule.get_by_role("button", name="日程を決定").click()
    assert page.get_by_test_id("request-status").inner_text() == "日程決定"
    screenshot(page, "support-request-scheduled")

    # 3. The staff member logs the visit from a phone: the visit is offered first.
    browser_login(phone_page, "support_staff")
    phone_page.goto("/support/records/new/")
    phone_page.get_by_test_id("today-visit").filter(has_text=school_a.name).click()
    assert "完了になります" in phone_page.get_by_test_id("answering").inner_text()
    assert phone_page.get_by_label("佐藤 健").is_checked()
    phone_page.locator("[name=what_was_done]").fill("2台とも再起動で復旧しました。")
    screenshot(phone_page, "support-phone-log-request")
    phone_page.get_by_test_id("save-record").click()
    phone_page.wait_for_url("**/support/records/*/")
    record = SupportRecord.objects.get()
    assert record.request_id == request.pk
    assert list(record.staff.all()) == [support_staff]

    # 4. School A sees it done, with the history of who moved it.
    switch_user(page, "school_a_user")
    page.goto(f"/support/requests/{request.pk}/")
    assert page.get_by_test_id("request-status").inner_text() == "完了"
    history = page.get_by_test_id("request-events").inner_text()
    assert "高橋 美咲" in history and "佐藤 健" in history
    screenshot(page, "support-request-done-school")

    # 5. School B sees none of it.
    switch_user(page, "school_b_user")
    page.goto("/support/requests/?status=all")
    assert "依頼はありません" in page.content()
    assert school_a.name not in page.locator("main").inner_text()
    response = page.goto(f"/support/requests/{request.pk}/")
    assert response.status == 404
    response = page.goto(f"/support/records/{record.pk}/")
    assert response.status == 404
    assert SupportRequest.objects.get().status == Status.DONE


@pytest.mark.browser
def test_staff_log_a_visit_from_a_phone_with_today_and_their_name_prefilled(
    phone_page, support_staff, school_a
):
    ensure_topics()
    browser_login(phone_page, "support_staff")
    phone_page.goto("/support/records/new/")
    assert phone_page.get_by_test_id("page-title").inner_text() == "支援を記録"
    assert phone_page.locator("[name=date]").input_value() == timezone.localdate().isoformat()
    assert phone_page.get_by_label("佐藤 健").is_checked()
    phone_page.locator("[name=school]").select_option(label=f"{school_a.code} {school_a.name}")
    phone_page.get_by_label("授業でのICT活用・児童生徒の操作支援").check()
    # The form fits a phone: nothing is wider than the screen.
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(phone_page, "support-phone-log")
    phone_page.get_by_test_id("save-record").click()
    phone_page.wait_for_url("**/support/records/*/")
    assert "保存しました" in phone_page.content()
    record = SupportRecord.objects.get()
    assert (record.school, record.kind, record.date) == (school_a, "visit", timezone.localdate())
    assert list(record.staff.all()) == [support_staff]
    assert [t.code for t in record.topics.all()] == ["lessons"]


@pytest.mark.browser
def test_a_second_click_on_send_while_the_first_is_on_its_way_makes_one_request(
    page, require_postgres, school_a_user
):
    """Issue 13: a school clicking 送信 again while the portal is slow sent two
    requests. The portal is held slow here for certain: the test locks the token
    table, so both posts reach the server and wait there; once it lets go, one
    request is made and the browser shows it."""
    ensure_topics()
    browser_login(page, "school_a_user")
    page.goto("/support/requests/new/")
    page.get_by_label("訪問支援").check()
    page.locator("[name=preferred_date_1]").fill(timezone.localdate().isoformat())
    page.locator("[name=details]").fill("電子黒板が映りません。")
    # Raw mouse clicks, as a person's: Playwright's own click would wait for the first
    # post's page before clicking again.
    box = page.get_by_test_id("send-request").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    is_post = lambda r: r.method == "POST" and r.url.endswith("/support/requests/new/")  # noqa: E731
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE gigaportal_submittoken IN EXCLUSIVE MODE")
        for _ in range(2):
            with page.expect_request(is_post):
                page.mouse.click(x, y)
    page.wait_for_url(re.compile(r".*/support/requests/\d+/$"))
    request = SupportRequest.objects.get()
    assert page.url.endswith(f"/support/requests/{request.pk}/")
    assert page.get_by_test_id("request-status").inner_text() == "依頼受付"
    assert request.details == "電子黒板が映りません。"
