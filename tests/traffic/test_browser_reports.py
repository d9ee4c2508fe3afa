"""The leader's usage and cohort pages from the demo data, in real Chromium."""

import io

import pytest

from gigaportal import demo as gigaportal_demo
from tests.conftest import browser_login, screenshot
from traffic import demo


@pytest.mark.browser
def test_the_leader_sees_the_seeds_usage_table_chart_and_cohort_flow(page):
    gigaportal_demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    browser_login(page, "leader", gigaportal_demo.DEMO_PASSWORD)

    page.goto("/traffic/?from=2022-01&to=2022-12")
    table = page.get_by_test_id("report-table").inner_text()
    assert "57,563" in table and "124,665" in table and "通信量(GB)" in table
    chart = page.get_by_test_id("report-chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "traffic-usage")

    page.goto("/traffic/flow/")
    flow = page.get_by_test_id("flow-table").inner_text()
    for cell in (
        "① 16",
        "② 11, 改善 5",
        "③ 3, 改善 8",
        "④ 2, 改善 1",
        "③ 2, 改善 2",
        "② 5, 改善 13",
        "① 14",
    ):
        assert cell in flow, cell
    screenshot(page, "traffic-flow")
