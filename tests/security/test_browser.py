"""Acknowledging the policy and printing a chart, in real Chromium at 390 px (a phone)
and 1366 px (the center's laptops)."""

import pytest

from security import demo
from security.models import Acknowledgement, ChartKind
from tests.conftest import PHONE, _csp_violations, browser_login, screenshot
from tests.security.factories import make_chart, make_policy_history

# A4 portrait less the portal's print margins (12 mm each side), in CSS pixels.
A4_PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)


def switch_user(page, username):
    page.context.clear_cookies()
    browser_login(page, username)


def not_acknowledged(page, version) -> list[str]:
    page.goto(f"/security/versions/{version.pk}/not-acknowledged/")
    return page.get_by_test_id("unacknowledged-school").all_inner_texts()


@pytest.fixture
def page_at(browser, live_server):
    """A page of its own browser context at a width: 390 is a phone (touch, mobile)."""
    contexts = []

    def make(width: int):
        options = PHONE if width == 390 else {"viewport": {"width": width, "height": 900}}
        context = browser.new_context(
            locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url, **options
        )
        context.set_default_timeout(15_000)
        context.csp_violations = _csp_violations(context)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert not [v for c in contexts for v in c.csp_violations]


@pytest.mark.browser
@pytest.mark.parametrize(
    "school_width", [390, 1366], ids=["school-on-a-phone", "school-on-a-laptop"]
)
def test_a_school_acknowledges_the_new_version_and_the_leaders_list_shrinks(
    page_at, cast, school_a, school_b, school_width
):
    _document, _old, new = make_policy_history()
    leader_page = page_at(1366 if school_width == 390 else 390)
    school_page = page_at(school_width)

    # 1. The leader sees both schools that have not acknowledged.
    browser_login(leader_page, "leader")
    before = not_acknowledged(leader_page, new)
    assert len(before) == 2 and any(school_a.name in row for row in before)

    # 2. School A's home asks for it; the school reads the version and acknowledges.
    browser_login(school_page, "school_a_user")
    school_page.goto("/")
    card = school_page.get_by_test_id("policy-to-acknowledge")
    assert card.count() == 1 and new.label in card.inner_text()
    card.click()
    school_page.wait_for_url(f"**/security/versions/{new.pk}/")
    assert "指導者系" in school_page.get_by_test_id("policy-text").inner_text()
    assert school_page.evaluate("document.documentElement.scrollWidth") <= school_width
    screenshot(school_page, f"security-acknowledge-{school_width}")
    school_page.get_by_test_id("acknowledge-button").click()
    school_page.wait_for_load_state("networkidle")
    assert school_page.get_by_test_id("acknowledged").count() == 1
    assert Acknowledgement.objects.get().school == school_a

    # 3. It has left the school's home.
    school_page.goto("/")
    assert school_page.get_by_test_id("policy-to-acknowledge").count() == 0

    # 4. The leader's list is one school shorter: school B is left.
    after = not_acknowledged(leader_page, new)
    assert len(after) == len(before) - 1
    assert school_a.name not in " ".join(after) and school_b.name in " ".join(after)
    screenshot(leader_page, f"security-not-acknowledged-{school_width}")


def _demo_charts():
    security = make_chart(nodes=demo._chain(demo.SECURITY_LEVELS))
    committee = make_chart(
        slug="committee",
        title="教育情報システム利活用推進委員会",
        kind=ChartKind.COMMITTEE,
        nodes=demo.committee_fy2023(),
    )
    return security, committee


def _overflow(page) -> dict:
    """How far the page and the chart's boxes reach to the right, in CSS pixels."""
    return page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            boxes: Math.max(...[...document.querySelectorAll('[data-testid=org-node]')]
                               .map(n => n.getBoundingClientRect().right)),
            chart: document.querySelector('[data-testid=orgchart]').scrollWidth,
        })"""
    )


@pytest.mark.browser
def test_a_printed_chart_fits_an_a4_page_and_the_screen_at_390_and_1366(page, phone_page, cast):
    _demo_charts()
    browser_login(page, "leader")
    browser_login(phone_page, "leader")

    # On screens: nothing wider than the window, on a phone or a laptop.
    page.set_viewport_size({"width": 1366, "height": 900})
    for slug in ("security", "committee"):
        page.goto(f"/security/charts/{slug}/")
        assert _overflow(page)["page"] <= 1366
        phone_page.goto(f"/security/charts/{slug}/")
        sizes = _overflow(phone_page)
        assert sizes["page"] <= 390 and sizes["boxes"] <= 390
    screenshot(page, "security-committee-1366")
    screenshot(phone_page, "security-committee-390")

    # Printed: laid out at the width of A4 less its margins, every box inside it.
    page.set_viewport_size({"width": A4_PRINTABLE_PX, "height": 1000})
    page.emulate_media(media="print")
    for slug in ("security", "committee"):
        page.goto(f"/security/charts/{slug}/")
        sizes = _overflow(page)
        assert sizes["page"] <= A4_PRINTABLE_PX, sizes
        assert sizes["boxes"] <= A4_PRINTABLE_PX and sizes["chart"] <= A4_PRINTABLE_PX, sizes
        assert page.get_by_test_id("day-picker").is_hidden()
    screenshot(page, "security-committee-print")

    # And as Chromium prints it on A4: the six levels on one page.
    page.goto("/security/charts/security/")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1


@pytest.mark.browser
def test_an_admin_edits_a_chart_in_django_admin_and_the_page_shows_it(page, cast):
    chart = make_chart()
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, "admin")
    page.goto(f"/security/charts/{chart.slug}/")
    assert "教育長職務代理者" not in page.get_by_test_id("orgchart").inner_text()
    page.goto(f"/admin/security/orgchart/{chart.pk}/change/")
    holders = page.locator("textarea[name$='-holders']")
    field = next(
        holders.nth(i) for i in range(holders.count()) if holders.nth(i).input_value() == "教育長"
    )
    field.fill("教育長\n教育長職務代理者")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/security/orgchart/")
    page.goto(f"/security/charts/{chart.slug}/")
    assert "教育長、教育長職務代理者" in page.get_by_test_id("org-holders").all_inner_texts()
    entry = chart_entries(chart)[-1]
    assert entry.via == "admin" and any(k.startswith("orgnode ") for k in entry.changes)


def chart_entries(chart):
    from django.contrib.contenttypes.models import ContentType

    from gigaportal.models import ObjectChange

    return list(
        ObjectChange.objects.filter(
            content_type=ContentType.objects.get_for_model(type(chart)), object_id=str(chart.pk)
        ).order_by("id")
    )
