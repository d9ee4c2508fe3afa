"""Issue 9, what every area shares: the school page as a hub, the school list's
search, sort, pages and download, months and fiscal years in the reader's language,
the charts' axes and legends, and the filters' empty choices."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from matplotlib.backends.backend_agg import FigureCanvasAgg

from devices import services as device_services
from gigaportal import charts
from gigaportal import reports as portal_reports
from gigaportal.calendar import Month, fiscal_year, fiscal_year_label
from gigaportal.models import School
from gigaportal.reports import Period
from support.models import Kind, Status
from tests.devices.factories import make_device, make_device_model, make_spares
from tests.factories import make_school
from tests.support.factories import make_record, make_request
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services as traffic_services

pytestmark = pytest.mark.django_db

SEP, OCT = Month(2022, 9), Month(2022, 10)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- 17. The school page is a hub ---------------------------------------------------------------


@pytest.fixture
def school_a_rows(school_a, school_b, school_a_user, school_b_user, support_staff, leader):
    """Known rows at school A (and some at B that A's page must not count)."""
    # Devices: two at A after a breakage with a spare; one at B.
    model = make_device_model()
    broken = make_device(school=school_a, model=model, serial="HUB0001")
    make_device(school=school_a, model=model, serial="HUB0002")
    make_device(school=school_b, model=model, serial="HUB0003")
    [spare] = make_spares(1, model=model)
    device_services.device_breakage_record(
        by=support_staff,
        school=school_a,
        serial=broken.serial,
        kind="breakage",
        cause="dropped",
        spare_serial=spare.serial,
        date=dt.date(2022, 6, 3),
    )
    # A pending report by the school: not counted as an event yet.
    device_services.device_fault_report(
        by=school_a_user, serial="HUB0002", kind="failure", cause="charging"
    )
    # Support: three records at A (two this fiscal year), one at B.
    today = timezone.localdate()
    make_record(school=school_a, staff=support_staff, date=today)
    make_record(school=school_a, staff=support_staff, date=today, kind=Kind.ONLINE)
    make_record(school=school_a, staff=support_staff, date=dt.date(2020, 5, 1))
    make_record(school=school_b, staff=support_staff, date=today)
    # Requests: two at A (one open), one at B.
    make_request(school=school_a, requested_by=school_a_user)
    make_request(school=school_a, requested_by=school_a_user, status=Status.CANCELLED)
    make_request(school=school_b, requested_by=school_b_user)
    # Lines: two at A, one heavy (an open case and a notice at step ②); one at B.
    make_policy()
    heavy = make_line(school=school_a, number="070-7000-0001")
    make_line(school=school_a, number="070-7000-0002")
    other = make_line(school=school_b, number="070-7000-0003")
    set_usage(heavy, SEP, 260)
    set_usage(heavy, OCT, 180)
    set_usage(other, SEP, 260)
    traffic_services.evaluation_run(month=SEP)
    traffic_services.evaluation_run(month=OCT)
    return school_a


HUB_CARD = r'<a class="[^"]*" href="([^"]*)" data-testid="{}">(.*?)</a>'


def hub_card(page: str, name: str) -> tuple[str, int, str]:
    """(href, the count in its badge, its text) of one of the hub's cards."""
    match = re.search(HUB_CARD.format(name), page, re.S)
    assert match, f"no {name} card"
    href, inner = match.groups()
    count = re.search(r'<span class="badge[^"]*">([\d,]+)</span>', inner).group(1)
    return href.replace("&amp;", "&"), int(count.replace(",", "")), inner


def test_the_school_page_links_to_everything_about_the_school_with_counts(
    client, leader, school_a_rows
):
    """Issue 9: the school page is a hub: devices, events, records, requests, lines, cases, notices, each with its count."""
    school = school_a_rows
    client.force_login(leader)
    page = client.get(reverse("schools:detail", args=[school.pk])).content.decode()
    assert 'data-testid="school-hub"' in page

    href, count, text = hub_card(page, "hub-devices")
    assert href == reverse("devices:school", args=[school.pk]) and count == 2
    assert "この学校で記録された破損・故障などの記録 1 件" in text  # the pending report is not one
    href, count, text = hub_card(page, "hub-support")
    assert href == reverse("support:school_history", args=[school.pk]) and count == 3
    this_year = fiscal_year_label(fiscal_year(timezone.localdate()))
    assert f"{this_year}は2件（訪問支援・オンライン支援・研修支援）" in text
    href, count, text = hub_card(page, "hub-requests")
    assert href == f"{reverse('support:request_list')}?status=all&school={school.pk}"
    assert count == 2 and "対応中 1 件" in text
    href, count, _text = hub_card(page, "hub-lines")
    assert href == f"{reverse('traffic:line_list')}?school={school.pk}" and count == 2
    href, count, _text = hub_card(page, "hub-cases")
    assert href == f"{reverse('traffic:case_list')}?school={school.pk}" and count == 1
    href, count, _text = hub_card(page, "hub-notices")
    assert href == f"{reverse('traffic:inbox')}?open=1&school={school.pk}" and count == 1
    # The pending fault report waits for the center.
    assert reverse("devices:faults") in page


def test_the_hubs_links_lead_to_that_schools_rows(client, leader, school_a_rows):
    """Issue 9: each link of the hub opens a page with that school's rows only (the same numbers)."""
    school = school_a_rows
    client.force_login(leader)
    page = client.get(reverse("schools:detail", args=[school.pk])).content.decode()

    href, count, _ = hub_card(page, "hub-devices")
    devices = client.get(href).content.decode()
    assert "HUB0002" in devices and "HUB0003" not in devices
    href, count, _ = hub_card(page, "hub-lines")
    lines = client.get(href).content.decode()
    assert "070-7000-0001" in lines and "070-7000-0002" in lines and "070-7000-0003" not in lines
    href, count, _ = hub_card(page, "hub-requests")
    requests = client.get(href).content.decode()
    assert len(re.findall(r'<td><a href="/support/requests/\d+/">', requests)) == count == 2
    href, count, _ = hub_card(page, "hub-cases")
    cases = client.get(href).content.decode()
    assert "070-7000-0001" in cases and "070-7000-0003" not in cases
    href, count, _ = hub_card(page, "hub-notices")
    inbox = client.get(href).content.decode()
    assert len(re.findall(r'href="/traffic/inbox/\d+/"', inbox)) == count == 1


def test_a_school_users_hub_counts_their_school_and_another_school_is_404(
    client, school_a_user, school_b, school_a_rows
):
    """Issue 9: a school user's own page is their hub; another school's page is a 404."""
    school = school_a_rows
    client.force_login(school_a_user)
    page = client.get(reverse("schools:detail", args=[school.pk])).content.decode()
    href, count, _ = hub_card(page, "hub-devices")
    assert count == 2
    href, count, _ = hub_card(page, "hub-lines")
    assert href == reverse("traffic:line_list") and count == 2
    assert client.get(reverse("schools:detail", args=[school_b.pk])).status_code == 404


# --- 18. The school list ---------------------------------------------------------------------------


SCHOOL_ROW = re.compile(r'<tr><td>([^<]+)</td><td><a href="/schools/\d+/">([^<]+)</a></td>')


def school_codes(response) -> list[str]:
    assert response.status_code == 200
    return [code for code, _name in SCHOOL_ROW.findall(response.content.decode())]


@pytest.fixture
def schools(school_a, school_b):
    make_school(code="J002", name="第二中学校", kind=School.Kind.JUNIOR_HIGH)
    make_school(code="E010", name="桜小学校", kind=School.Kind.ELEMENTARY)


def test_the_school_list_searches_a_name_or_a_code(client, leader, schools):
    """Issue 9: the school list's search finds a school by part of its name or its code."""
    client.force_login(leader)
    url = reverse("schools:list")
    assert school_codes(client.get(url, {"q": "中学校"})) == ["B001", "J002"]
    assert school_codes(client.get(url, {"q": "e010"})) == ["E010"]
    assert school_codes(client.get(url, {"q": "青葉"})) == ["A001"]
    assert school_codes(client.get(url, {"q": "中学校", "kind": "elementary"})) == []


def test_the_school_list_sorts_by_its_headers(client, leader, schools):
    """Issue 9: the school list's headers sort it and mark the sorted column (aria-sort, ▲/▼)."""
    client.force_login(leader)
    url = reverse("schools:list")
    response = client.get(url)
    assert school_codes(response) == ["A001", "B001", "E010", "J002"]
    page = response.content.decode()
    code_header = re.search(r'<th[^>]*aria-sort="ascending".*?</th>', page, re.S).group(0)
    assert "▲" in code_header and "?sort=-code" in code_header
    assert page.count('aria-sort="none"') == 2  # name and kind

    response = client.get(url, {"sort": "-code"})
    assert school_codes(response) == ["J002", "E010", "B001", "A001"]
    header = re.search(r'<th[^>]*aria-sort="descending".*?</th>', response.content.decode(), re.S)
    assert "▼" in header.group(0) and "?sort=code" in header.group(0)

    response = client.get(url, {"sort": "kind", "q": "学校"})
    assert school_codes(response)[:2] == ["A001", "E010"]  # elementary first
    kind_header = re.search(
        r'<th[^>]*aria-sort="ascending".*?</th>', response.content.decode(), re.S
    )
    # The header's link keeps the search.
    assert "q=" in kind_header.group(0) and "sort=-kind" in kind_header.group(0)


def test_the_school_list_jumps_to_a_page(client, leader, school_a):
    """Issue 9: the school list has numbered pages and ?page=N shows page N."""
    School.objects.bulk_create(
        School(code=f"P{n:03d}", name=f"ページ{n}小学校", kind=School.Kind.ELEMENTARY)
        for n in range(1, 131)
    )
    client.force_login(leader)
    url = reverse("schools:list")
    first = school_codes(client.get(url))
    second = school_codes(client.get(url, {"page": "2"}))
    assert len(first) == 100 and len(second) == 31
    assert not set(first) & set(second) and second[-1] == "P130"
    page = client.get(url, {"page": "2"}).content.decode()
    assert 'data-testid="page-jump"' in page and 'aria-current="page"' in page
    assert re.search(r'data-testid="list-count">131 件<', page)
    assert school_codes(client.get(url, {"page": "abc"})) == first
    assert school_codes(client.get(url, {"page": "999999"})) == second


def test_the_school_list_download_holds_the_filtered_schools(client, leader, schools):
    """Issue 9: ?download=csv of the school list holds the same schools as the page's filter and search."""
    client.force_login(leader)
    url = reverse("schools:list")
    rows = csv_rows(client.get(url, {"q": "中学校", "download": "csv"}))
    assert [row[0] for row in rows[1:]] == ["B001", "J002"]
    rows = csv_rows(client.get(url, {"kind": "elementary", "sort": "-code", "download": "csv"}))
    assert [row[0] for row in rows[1:]] == ["E010", "A001"]
    page = client.get(url, {"q": "中学校"}).content.decode()
    # The page's download link carries its search.
    assert 'href="?q=%E4%B8%AD%E5%AD%A6%E6%A0%A1&amp;download=csv"' in page


def test_a_school_user_lists_only_their_school(client, school_a_user, schools):
    """Issue 9: a school user's school list and its download hold their school only."""
    client.force_login(school_a_user)
    url = reverse("schools:list")
    assert school_codes(client.get(url, {"q": "中学校"})) == []
    rows = csv_rows(client.get(url, {"download": "csv"}))
    assert [row[0] for row in rows[1:]] == ["A001"]


# --- 19. Months and fiscal years in the reader's language -----------------------------------------


@pytest.fixture
def breakage_2022(leader, school_a):
    device = make_device(school=school_a)
    [spare] = make_spares(1)
    device_services.device_breakage_record(
        by=leader,
        school=school_a,
        serial=device.serial,
        kind="breakage",
        cause="dropped",
        spare_serial=spare.serial,
        date=dt.date(2022, 6, 3),
    )


def test_months_and_fiscal_years_are_japanese_on_pages_and_downloads(client, leader, breakage_2022):
    """Issue 9: in Japanese a month reads 2022年4月 and a fiscal year 令和4年度, on the page and in the CSV."""
    client.force_login(leader)
    page = client.get(reverse("devices:breakage"), {"fy": 2022}).content.decode()
    assert "2022年4月" in page and "2022年6月" in page and "2022-04" not in page
    assert '<option value="2022" selected>令和4年度</option>' in page
    rows = csv_rows(client.get(reverse("devices:breakage"), {"fy": 2022, "download": "csv"}))
    assert rows[1][0] == "2022年4月" and rows[3][0] == "2022年6月"


def test_months_and_fiscal_years_are_english_when_english_is_chosen(client, leader, breakage_2022):
    """Issue 9: in English a month reads Apr 2022 and a fiscal year FY2022, on the page and in the CSV."""
    client.force_login(leader)
    english = {"accept-language": "en"}
    page = client.get(reverse("devices:breakage"), {"fy": 2022}, headers=english).content.decode()
    assert "Apr 2022" in page and "Jun 2022" in page
    assert "2022年4月" not in page and "令和4年度" not in page
    assert '<option value="2022" selected>FY2022</option>' in page
    response = client.get(
        reverse("devices:breakage"), {"fy": 2022, "download": "csv"}, headers=english
    )
    rows = csv_rows(response)
    assert rows[1][0] == "Apr 2022" and rows[3][0] == "Jun 2022"


def test_the_language_cookie_also_chooses_english(client, leader, breakage_2022):
    """Issue 9: the footer's language choice (its cookie) writes months in English too."""
    from django.conf import settings

    client.force_login(leader)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = csv_rows(client.get(reverse("devices:breakage"), {"fy": 2022, "download": "csv"}))
    assert rows[1][0] == "Apr 2022"


def test_the_case_pages_write_months_in_the_readers_language(client, leader, school_a):
    """Issue 9: the heavy-usage case list writes its months 2022年9月, not 2022-09."""
    make_policy()
    line = make_line(school=school_a, number="070-6000-0001")
    set_usage(line, SEP, 260)
    traffic_services.evaluation_run(month=SEP)
    client.force_login(leader)
    page = client.get(reverse("traffic:case_list")).content.decode()
    table = re.search(r'data-testid="case-table".*?</table>', page, re.S).group(0)
    assert "2022年9月" in table and "2022-09" not in table
    month_filter = re.search(r'<select [^>]*name="month".*?</select>', page, re.S).group(0)
    assert ">2022年9月</option>" in month_filter


# --- 20. Charts ------------------------------------------------------------------------------------


def drawn(figure):
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def test_a_flat_series_is_drawn_from_zero(client):
    """Issue 9: a stock of 21 all year is drawn on an axis from 0, not on a 20.0–22.0 scale."""
    labels = [f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    figure = charts.bar_line_chart(
        title="令和4年度 iPad",
        labels=labels,
        bars=[21] * 12,
        bar_label="破損・故障",
        line=[21] * 12,
        line_label="予備機の残り",
    )
    drawn(figure)
    bars_axis, line_axis = figure.axes
    for ax in (bars_axis, line_axis):
        bottom, top = ax.get_ylim()
        assert bottom == 0 and top > 21
        # Whole numbers only on a count axis.
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert ticks and all("." not in t for t in ticks)


def test_a_grouped_bar_chart_starts_at_zero_too():
    """Issue 9: grouped bars (support by term) start from 0 even when every bar is equal."""
    figure = charts.grouped_bar_chart(
        title="令和4年度",
        groups=["1学期", "2学期", "3学期"],
        series={"訪問支援": [21, 21, 21], "オンライン支援": [21, 21, 21]},
    )
    drawn(figure)
    [ax] = figure.axes
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > 21


def test_large_tick_labels_have_thousands_separators():
    """Issue 9: an axis of GB reads 60,000, not 60000."""
    figure = charts.bar_line_chart(
        title="通信量",
        labels=["9月", "10月", "11月"],
        bars=[57563, 61234, 68216],
        bar_label="GB",
        line=[46, 50, 53],
        line_label="%",
        line_is_percent=True,
    )
    drawn(figure)
    bars_axis, line_axis = figure.axes
    ticks = [t.get_text() for t in bars_axis.get_yticklabels() if t.get_text()]
    big = [t for t in ticks if len(t.replace(",", "").replace("−", "")) > 3]
    assert big and all("," in t for t in big)
    assert line_axis.get_ylim() == (0, 100)


def test_the_legend_is_below_the_plot_not_over_the_data():
    """Issue 9: the legend sits under the axes (outside the plot), so it never covers a bar or the line."""
    figure = charts.bar_line_chart(
        title="令和4年度 iPad",
        labels=["4月", "5月", "6月"],
        bars=[16, 30, 21],
        bar_label="破損・故障",
        line=[518, 400, 315],
        line_label="予備機の残り",
    )
    renderer = drawn(figure)
    [legend] = figure.legends
    assert not any(ax.get_legend() for ax in figure.axes)  # not inside an axes
    legend_box = legend.get_window_extent(renderer)
    for ax in figure.axes:
        plot_box = ax.get_window_extent(renderer)
        assert legend_box.y1 <= plot_box.y0
        # Below the month labels too.
        tick_boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert all(legend_box.y1 <= box.y0 + 0.5 for box in tick_boxes)
    assert [t.get_text() for t in legend.get_texts()] == ["破損・故障", "予備機の残り"]


def test_the_breakage_chart_of_a_stock_that_does_not_move_starts_at_zero(leader, school_a):
    """Issue 9: the devices breakage chart built from its report draws a flat stock of 21 from 0."""
    model = make_device_model(spares=21)
    make_spares(21, model=model)
    spec = portal_reports.get("devices.breakage")
    report = spec.run(user=leader, period=Period.fiscal(2022))
    figure = spec.chart(report, model_pk=model.pk)
    drawn(figure)
    bars_axis, line_axis = figure.axes
    assert [line.get_ydata().tolist() for line in line_axis.get_lines()] == [[21] * 12]
    assert line_axis.get_ylim()[0] == 0 and bars_axis.get_ylim()[0] == 0


# --- 21. Empty choices of the filters ---------------------------------------------------------------


def empty_choices(page: str) -> dict[str, str]:
    """name → the text of the <option value=""> of each <select> of the page's filters."""
    found = {}
    for select in re.finditer(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', page, re.S):
        empty = re.search(r'<option value=""[^>]*>([^<]*)</option>', select.group(2))
        if empty:
            found[select.group(1)] = empty.group(1)
    return found


@pytest.mark.parametrize(
    "name",
    ["devices:list", "support:record_list", "support:request_list", "traffic:case_list"],
)
def test_the_school_filters_empty_choice_reads_all_schools(client, support_staff, school_a, name):
    """Issue 9: a school filter's empty choice reads 「すべての学校」 on every list, never 「---------」."""
    make_line(school=school_a)  # the case list offers the schools with lines
    client.force_login(support_staff)
    page = client.get(reverse(name)).content.decode()
    assert "---------" not in page
    assert empty_choices(page).get("school") == "すべての学校"


def test_the_device_filters_empty_choices_are_worded_alike(client, support_staff):
    """Issue 9: the device list's filters read 「すべての学校／機種／状態」."""
    make_device_model()
    client.force_login(support_staff)
    page = client.get(reverse("devices:list")).content.decode()
    assert empty_choices(page) == {
        "school": "すべての学校",
        "model": "すべての機種",
        "status": "すべての状態",
    }


def test_the_lines_list_has_a_school_filter_like_the_other_lists(client, support_staff, school_a):
    """Issue 9: the lines list's school filter reads 「すべての学校」 and shows the school it is filtered by."""
    make_line(school=school_a)
    client.force_login(support_staff)
    page = client.get(reverse("traffic:line_list"), {"school": school_a.pk}).content.decode()
    assert "---------" not in page
    assert empty_choices(page).get("school") == "すべての学校"
    assert re.search(rf'<option value="{school_a.pk}" selected>', page)


def test_the_record_filters_empty_choices_are_worded_alike(client, support_staff):
    """Issue 9: every empty choice of the record list's filters reads 「すべての…」."""
    client.force_login(support_staff)
    page = client.get(reverse("support:record_list")).content.decode()
    choices = empty_choices(page)
    assert set(choices) == {"school", "staff", "kind"}
    assert all(text.startswith("すべての") for text in choices.values()), choices
