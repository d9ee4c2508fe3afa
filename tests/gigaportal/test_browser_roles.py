"""Each role logs in through real Chromium and lands on its own page."""

import pytest

from tests.conftest import browser_login, screenshot

LANDING = {
    "support_staff": "支援員ホーム",
    "leader": "リーダー ダッシュボード",
    "admin": "管理者ホーム",
}


@pytest.mark.browser
@pytest.mark.parametrize("who", ["support_staff", "leader", "admin", "school_a_user"])
def test_each_role_lands_on_its_own_page(page, cast, school_a, who):
    browser_login(page, cast[who].username)
    title = page.get_by_test_id("home-title").inner_text()
    expected = school_a.name if who == "school_a_user" else LANDING[who]
    assert title == expected
    screenshot(page, f"home-{who}")


@pytest.mark.browser
def test_the_login_page_is_japanese_and_english_is_one_click_away(page, cast):
    page.goto("/")
    assert "ログイン" in page.locator("h1").inner_text()
    page.select_option("#language-select", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Log in"
    browser_login(page, cast["leader"].username)
    assert page.get_by_test_id("home-title").inner_text() == "Leader's dashboard"


@pytest.mark.browser
def test_a_school_user_sees_only_their_school_and_no_admin_link(page, cast, school_a, school_b):
    browser_login(page, cast["school_a_user"].username)
    assert page.get_by_role("link", name="管理画面").count() == 0
    page.goto("/schools/")
    body = page.locator("main").inner_text()
    assert school_a.name in body
    assert school_b.name not in body
    response = page.goto(f"/schools/{school_b.pk}/")
    assert response.status == 404
    assert "見つかりません" in page.locator("h1").inner_text()


@pytest.mark.browser
def test_only_the_admin_reaches_django_admin(page, cast):
    browser_login(page, cast["leader"].username)
    page.goto("/admin/")
    assert "/admin/login/" in page.url
    page.context.clear_cookies()
    browser_login(page, cast["admin"].username)
    page.get_by_role("link", name="管理画面").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/admin/")
    screenshot(page, "admin-index")
