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
