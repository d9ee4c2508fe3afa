"""Issue 9, devices: the list's search, sort, pages, count and downloads; the next
ledger step on a device's page; the school's fault form; the forecast's wording; the
fiscal-year control of the reports. Through the views, as a user would."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from devices import services
from devices.models import Device, DeviceEvent
from gigaportal.models import ObjectChange, User
from tests.devices.factories import make_device, make_device_model, make_spares
from tests.factories import submit_token

pytestmark = pytest.mark.django_db

ROW_SERIAL = re.compile(r'<td><a href="/devices/\d+/">([^<]+)</a></td>')


def listed(response) -> list[str]:
    """The serials of the device table, in the order shown."""
    assert response.status_code == 200
    return ROW_SERIAL.findall(response.content.decode())


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def three_devices(school_a, school_b):
    ipad = make_device_model(name="iPad")
    chromebook = make_device_model(name="Chromebook", kind="chromebook")
    return [
        make_device(
            school=school_a,
            model=ipad,
            serial="DMPXK001AA",
            asset_tag="TAG-0042",
            line_number="07011112222",
        ),
        make_device(
            school=school_b,
            model=chromebook,
            serial="CBZ0000002",
            asset_tag="TAG-0107",
            line_number="07033334444",
        ),
        make_device(school=school_a, model=ipad, serial="AAQ0000003", asset_tag="TAG-0999"),
    ]


# --- 1. Search ------------------------------------------------------------------------


def test_the_device_search_finds_a_serial_by_any_part_in_any_case(
    client, support_staff, three_devices
):
    """Issue 9: the device list's search box finds a serial typed in lower case and in part."""
    client.force_login(support_staff)
    assert listed(client.get(reverse("devices:list"), {"q": "pxk0"})) == ["DMPXK001AA"]
    assert listed(client.get(reverse("devices:list"), {"q": "DMPXK001AA"})) == ["DMPXK001AA"]


def test_the_device_search_finds_an_asset_tag_and_a_line_number(
    client, support_staff, three_devices
):
    """Issue 9: the device list's search finds a device by its asset tag and its line number."""
    client.force_login(support_staff)
    assert listed(client.get(reverse("devices:list"), {"q": "tag-0107"})) == ["CBZ0000002"]
    assert listed(client.get(reverse("devices:list"), {"q": "1111222"})) == ["DMPXK001AA"]
    page = client.get(reverse("devices:list"), {"q": "NOSUCH"}).content.decode()
    assert "検索に一致する端末はありません。" in page


def test_a_school_user_searching_another_schools_serial_finds_nothing(
    client, school_a_user, three_devices
):
    """Issue 9: the search stays within a school user's scope (another school's serial is not found)."""
    client.force_login(school_a_user)
    assert listed(client.get(reverse("devices:list"), {"q": "CBZ0000002"})) == []
    assert listed(client.get(reverse("devices:list"), {"q": "07033334444"})) == []
    assert listed(client.get(reverse("devices:list"), {"q": "DMPXK"})) == ["DMPXK001AA"]


# --- 2. Sort and pages ------------------------------------------------------------------


def test_the_device_list_sorts_by_serial_both_ways(client, support_staff, three_devices):
    """Issue 9: ?sort=serial and ?sort=-serial order the device rows."""
    client.force_login(support_staff)
    ascending = ["AAQ0000003", "CBZ0000002", "DMPXK001AA"]
    assert listed(client.get(reverse("devices:list"), {"sort": "serial"})) == ascending
    assert listed(client.get(reverse("devices:list"), {"sort": "-serial"})) == ascending[::-1]


def test_the_device_list_sorts_by_its_other_columns(client, support_staff, three_devices):
    """Issue 9: the sortable columns (model, school, asset tag, line) order the device rows."""
    client.force_login(support_staff)
    url = reverse("devices:list")
    # Chromebook < iPad; then serial.
    assert listed(client.get(url, {"sort": "model"})) == ["CBZ0000002", "AAQ0000003", "DMPXK001AA"]
    # A001 < B001; then serial.
    assert listed(client.get(url, {"sort": "school"})) == ["AAQ0000003", "DMPXK001AA", "CBZ0000002"]
    assert listed(client.get(url, {"sort": "-asset_tag"})) == [
        "AAQ0000003",
        "CBZ0000002",
        "DMPXK001AA",
    ]
    # An empty line number sorts first.
    assert listed(client.get(url, {"sort": "line"})) == ["AAQ0000003", "DMPXK001AA", "CBZ0000002"]


def test_the_sort_header_marks_the_current_column(client, support_staff, three_devices):
    """Issue 9: the sorted column's header says so (aria-sort and ▲/▼) and links to the other way."""
    client.force_login(support_staff)
    page = client.get(reverse("devices:list"), {"sort": "-serial"}).content.decode()
    header = re.search(r'<th[^>]*aria-sort="descending".*?</th>', page, re.S).group(0)
    assert "?sort=serial" in header and "▼" in header
    assert page.count('aria-sort="descending"') == 1 and 'aria-sort="ascending"' not in page


@pytest.mark.parametrize("sort", ["evil", "password", "-", "school__code", "serial;drop"])
def test_an_unknown_sort_key_falls_back_to_the_default(client, support_staff, three_devices, sort):
    """Issue 9: a forged ?sort= falls back to the default order (serial), never a 500."""
    client.force_login(support_staff)
    assert listed(client.get(reverse("devices:list"), {"sort": sort})) == [
        "AAQ0000003",
        "CBZ0000002",
        "DMPXK001AA",
    ]


@pytest.mark.parametrize("page", ["999999", "abc", "0", "-1", "１", "99999999999999999999"])
def test_a_page_number_out_of_range_or_not_a_number_is_not_an_error(
    client, support_staff, three_devices, page
):
    """Issue 9: ?page=999999 or ?page=abc shows a page of the list, never a 404 or 500."""
    client.force_login(support_staff)
    assert len(listed(client.get(reverse("devices:list"), {"page": page}))) == 3


def test_the_page_jump_goes_to_the_asked_page(client, support_staff, school_a):
    """Issue 9: with more rows than a page, numbered pages and ?page=N show the rows of page N."""
    model = make_device_model()
    Device.objects.bulk_create(
        Device(serial=f"PG{n:05d}", model=model, school=school_a, status=Device.Status.DEPLOYED)
        for n in range(1, 251)
    )
    client.force_login(support_staff)
    response = client.get(reverse("devices:list"), {"page": "2", "q": "PG"})
    rows = listed(response)
    assert rows[0] == "PG00101" and rows[-1] == "PG00200" and len(rows) == 100
    page = response.content.decode()
    assert 'data-testid="page-jump"' in page and 'max="3"' in page
    # The links to other pages keep the search.
    assert "?q=PG&page=3" in page
    # Past the end: the last page.
    assert listed(client.get(reverse("devices:list"), {"page": "99", "q": "PG"}))[-1] == "PG00250"


# --- 3. Count and queries -----------------------------------------------------------------


def test_the_device_count_is_written_in_japanese(client, support_staff, three_devices):
    """Issue 9: the list says how many devices it holds, as 「3 台」."""
    client.force_login(support_staff)
    page = client.get(reverse("devices:list")).content.decode()
    count = re.search(r'data-testid="list-count">([^<]*)<', page).group(1)
    assert count == "3 台"
    page = client.get(reverse("devices:list"), {"q": "TAG-0"}).content.decode()
    assert re.search(r'data-testid="list-count">([^<]*)<', page).group(1) == "3 台"
    page = client.get(reverse("devices:list"), {"q": "CBZ"}).content.decode()
    assert re.search(r'data-testid="list-count">([^<]*)<', page).group(1) == "1 台"


def test_the_device_count_has_thousands_separators(client, support_staff, school_a):
    """Issue 9: a count of 1,200 devices is written 「1,200 台」, not 「1200 台」."""
    model = make_device_model()
    Device.objects.bulk_create(
        Device(serial=f"K{n:05d}", model=model, school=school_a, status=Device.Status.DEPLOYED)
        for n in range(1200)
    )
    client.force_login(support_staff)
    page = client.get(reverse("devices:list")).content.decode()
    assert re.search(r'data-testid="list-count">([^<]*)<', page).group(1) == "1,200 台"
    # The number of pages is grouped too, and the list shows one page of rows only.
    assert len(ROW_SERIAL.findall(page)) == 100


def test_the_device_list_makes_the_same_queries_for_3_and_30_devices(
    client,
    support_staff,
    school_a,
    school_b,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    """Issue 9: the device list has no N+1: 30 devices cost as many queries as 3."""
    ipad = make_device_model(name="iPad")
    chromebook = make_device_model(name="Chromebook", kind="chromebook")

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            make_device(
                school=school_a if n % 2 else school_b,
                model=ipad if n % 3 else chromebook,
                serial=f"Q{n:05d}",
            )

    add(3, 0)
    client.force_login(support_staff)
    client.get(reverse("devices:list"))  # the session and caches warm up
    with django_assert_max_num_queries(30) as small:
        assert len(listed(client.get(reverse("devices:list")))) == 3
    add(27, 3)
    with django_assert_num_queries(len(small)):
        assert len(listed(client.get(reverse("devices:list")))) == 30


# --- 4. Downloads ---------------------------------------------------------------------------


def test_the_csv_download_holds_what_the_list_shows(client, support_staff, three_devices):
    """Issue 9: ?download=csv of a filtered and searched list holds the same rows, all of them."""
    client.force_login(support_staff)
    chromebook = make_device_model(name="Chromebook", kind="chromebook")
    params = {"q": "TAG-0", "model": chromebook.pk}
    shown = listed(client.get(reverse("devices:list"), params))
    rows = csv_rows(client.get(reverse("devices:list"), {**params, "download": "csv"}))
    assert [row[0] for row in rows[1:]] == shown == ["CBZ0000002"]
    assert rows[1][1:] == ["Chromebook", "配置中", "B001", "第一中学校", "07033334444", "TAG-0107"]

    rows = csv_rows(client.get(reverse("devices:list"), {"q": "aaq", "download": "csv"}))
    assert [row[0] for row in rows[1:]] == ["AAQ0000003"]
    # The sort of the page is the order of the file.
    rows = csv_rows(client.get(reverse("devices:list"), {"sort": "-serial", "download": "csv"}))
    assert [row[0] for row in rows[1:]] == ["DMPXK001AA", "CBZ0000002", "AAQ0000003"]


def test_the_download_holds_every_row_not_only_the_page(client, support_staff, school_a):
    """Issue 9: a download holds every row the filters select, not only the 100 on the page."""
    model = make_device_model()
    Device.objects.bulk_create(
        Device(serial=f"ALL{n:04d}", model=model, school=school_a, status=Device.Status.DEPLOYED)
        for n in range(150)
    )
    client.force_login(support_staff)
    rows = csv_rows(client.get(reverse("devices:list"), {"page": "1", "download": "csv"}))
    assert len(rows) == 151


def test_a_school_users_downloads_hold_only_their_schools_devices(
    client, school_a_user, school_b, three_devices
):
    """Issue 9: a school user's CSV and Excel of the device list hold only their school's devices."""
    [spare] = make_spares(1)
    client.force_login(school_a_user)
    rows = csv_rows(client.get(reverse("devices:list"), {"download": "csv"}))
    assert sorted(row[0] for row in rows[1:]) == ["AAQ0000003", "DMPXK001AA"]
    # Not even by asking for the other school.
    rows = csv_rows(client.get(reverse("devices:list"), {"school": school_b.pk, "download": "csv"}))
    assert spare.serial not in {row[0] for row in rows[1:]} and "CBZ0000002" not in {
        row[0] for row in rows[1:]
    }

    response = client.get(reverse("devices:list"), {"q": "TAG", "download": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    serials = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "DMPXK001AA" in serials and "AAQ0000003" in serials
    assert "CBZ0000002" not in serials and spare.serial not in serials


# --- 5. The next ledger step on a device's page -----------------------------------------------


STEP_KIND = re.compile(r'<input type="hidden" name="kind" value="(\w+)"')


def offered_steps(page: str) -> list[str]:
    """The kinds of the step forms on a device's page (their hidden `kind` inputs)."""
    steps = re.search(r'data-testid="next-steps".*?<h2 class="h5">', page, re.S)
    return sorted(set(STEP_KIND.findall(steps.group(0)))) if steps else []


def test_a_device_in_repair_offers_back_from_repair_and_retire(client, support_staff):
    """Issue 9: a device in repair offers 「修理から戻った」 and 「廃棄」, not an issue to a school."""
    device = make_device(status=Device.Status.IN_REPAIR)
    client.force_login(support_staff)
    page = client.get(reverse("devices:detail", args=[device.pk])).content.decode()
    assert offered_steps(page) == ["repair", "retire"]
    assert "修理から戻った（予備機にする）" in page and "端末を廃棄する" in page
    assert "この予備機を学校へ払い出す" not in page
    # Retiring asks for the reason and the tick on the page itself.
    assert "廃棄の理由" in page and "廃棄した端末は元に戻せないことを理解しました。" in page


def test_a_spare_offers_an_issue_to_a_school(client, support_staff, school_a):
    """Issue 9: a spare's page offers 「この予備機を学校へ払い出す」 (and retiring), not repair."""
    [spare] = make_spares(1)
    client.force_login(support_staff)
    page = client.get(reverse("devices:detail", args=[spare.pk])).content.decode()
    assert offered_steps(page) == ["issue", "retire"]
    assert "この予備機を学校へ払い出す" in page and "修理から戻った" not in page
    assert f"{school_a.code} {school_a.name}" in page  # the school to issue it to


def test_each_step_form_is_marked_with_its_kind_and_retiring_looks_dangerous(client, support_staff):
    """Issue 9: the step forms carry data-testid="step-<kind>"; the retire form is drawn in red."""
    device = make_device(status=Device.Status.IN_REPAIR)
    client.force_login(support_staff)
    page = client.get(reverse("devices:detail", args=[device.pk])).content.decode()
    assert 'data-testid="step-repair"' in page and 'data-testid="step-retire"' in page
    assert 'data-testid="step-<input' not in page
    retire = re.search(r'<form[^>]*data-testid="step-retire".*?</form>', page, re.S).group(0)
    assert "border-danger" in retire and "btn-outline-danger" in retire


def test_a_retired_device_and_a_school_user_are_offered_no_step(
    client, support_staff, school_a, school_a_user
):
    """Issue 9: a retired device offers no step, and a school user sees no step forms."""
    retired = make_device(status=Device.Status.RETIRED)
    client.force_login(support_staff)
    page = client.get(reverse("devices:detail", args=[retired.pk])).content.decode()
    assert 'data-testid="next-steps"' not in page
    deployed = make_device(school=school_a)
    client.force_login(school_a_user)
    page = client.get(reverse("devices:detail", args=[deployed.pk])).content.decode()
    assert 'data-testid="next-steps"' not in page


def step(client, device, **data):
    """Posts one of the device page's step forms, with the token the page gives."""
    user = User.objects.get(pk=client.session["_auth_user_id"])
    return client.post(
        reverse("devices:step", args=[device.pk]),
        {"date": timezone.localdate().isoformat(), "submit_token": submit_token(user), **data},
        follow=True,
    )


def test_retiring_without_a_reason_is_refused_and_changes_nothing(client, support_staff):
    """Issue 9: retiring without the reason is refused with 「廃棄する理由を書いてください。」."""
    device = make_device(status=Device.Status.IN_REPAIR)
    client.force_login(support_staff)
    response = step(client, device, kind="retire", note="", confirm="on")
    assert "廃棄する理由を書いてください。" in messages_of(response)
    device.refresh_from_db()
    assert device.status == Device.Status.IN_REPAIR
    assert not DeviceEvent.objects.exists()
    assert not ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(DeviceEvent)
    ).exists()


def test_retiring_without_the_tick_is_refused_and_changes_nothing(client, support_staff):
    """Issue 9: retiring without the confirmation tick is refused with the Japanese message."""
    device = make_device(status=Device.Status.IN_REPAIR)
    client.force_login(support_staff)
    response = step(client, device, kind="retire", note="基板の故障で修理不能")
    assert "確認の欄にチェックを入れてください。廃棄は取り消せません。" in messages_of(response)
    device.refresh_from_db()
    assert device.status == Device.Status.IN_REPAIR and not DeviceEvent.objects.exists()


def test_retiring_with_a_reason_and_the_tick_retires_and_logs_it(client, support_staff):
    """Issue 9: with reason and tick the device is retired, with a DeviceEvent and a change-log entry."""
    device = make_device(status=Device.Status.IN_REPAIR)
    client.force_login(support_staff)
    response = step(client, device, kind="retire", note="基板の故障で修理不能", confirm="on")
    assert response.redirect_chain == [(reverse("devices:detail", args=[device.pk]), 302)]
    device.refresh_from_db()
    assert device.status == Device.Status.RETIRED
    event = DeviceEvent.objects.get()
    assert (event.device, event.kind, event.note, event.recorded_by) == (
        device,
        DeviceEvent.Kind.RETIRE,
        "基板の故障で修理不能",
        support_staff,
    )
    change = ObjectChange.objects.get(
        content_type=ContentType.objects.get_for_model(DeviceEvent), object_id=str(event.pk)
    )
    assert change.by == support_staff and change.action == ObjectChange.Action.CREATE
    # The page now offers no further step and shows the event in the history.
    page = response.content.decode()
    assert 'data-testid="next-steps"' not in page and "基板の故障で修理不能" in page


def test_back_from_repair_makes_the_device_a_spare(client, support_staff):
    """Issue 9: 「修理から戻った」 on the page puts the device back in the spare pool."""
    device = make_device(status=Device.Status.IN_REPAIR)
    client.force_login(support_staff)
    step(client, device, kind="repair")
    device.refresh_from_db()
    assert device.status == Device.Status.SPARE
    assert DeviceEvent.objects.get().kind == DeviceEvent.Kind.REPAIR


def test_issuing_a_spare_needs_a_school_and_then_deploys_it_there(client, support_staff, school_a):
    """Issue 9: issuing a spare from its page without a school is refused; with one it is deployed."""
    [spare] = make_spares(1)
    client.force_login(support_staff)
    response = step(client, spare, kind="issue")
    assert "予備機の払出先の学校を選んでください。" in messages_of(response)
    spare.refresh_from_db()
    assert spare.status == Device.Status.SPARE and not DeviceEvent.objects.exists()
    step(client, spare, kind="issue", school=school_a.pk)
    spare.refresh_from_db()
    assert spare.status == Device.Status.DEPLOYED and spare.school == school_a


def test_a_school_user_cannot_post_a_ledger_step(client, school_a, school_a_user):
    """Issue 9: a school user posting devices:step is refused (403/404) and nothing changes."""
    device = make_device(school=school_a)
    client.force_login(school_a_user)
    response = client.post(
        reverse("devices:step", args=[device.pk]),
        {"kind": "retire", "note": "x", "confirm": "on", "date": timezone.localdate().isoformat()},
    )
    assert response.status_code in (403, 404)
    device.refresh_from_db()
    assert device.status == Device.Status.DEPLOYED and not DeviceEvent.objects.exists()


def test_a_forged_step_kind_is_refused_without_an_error_page(client, support_staff, school_a):
    """Issue 9: a forged kind (a breakage, or nonsense) on devices:step is a message, not a 500."""
    device = make_device(school=school_a)
    client.force_login(support_staff)
    for kind in ("breakage", "evil", ""):
        response = step(client, device, kind=kind)
        assert response.status_code == 200 and messages_of(response)
    device.refresh_from_db()
    assert device.status == Device.Status.DEPLOYED and not DeviceEvent.objects.exists()


# --- 6. The school's fault form -------------------------------------------------------------


def test_the_fault_form_has_no_event_kind_chosen_in_advance(client, school_a_user):
    """Issue 9: the school's fault form does not pre-select 「破損」: a charging fault is not a breakage."""
    client.force_login(school_a_user)
    page = client.get(reverse("devices:report_fault")).content.decode()
    kinds = re.findall(r'<input[^>]*name="kind"[^>]*>', page)
    assert len(kinds) == 2
    assert not any("checked" in tag for tag in kinds)


def test_a_fault_report_without_a_kind_is_refused(client, school_a, school_a_user):
    """Issue 9: the school must say breakage or failure; a report without it is not filed as a breakage."""
    device = make_device(school=school_a)
    client.force_login(school_a_user)
    response = client.post(
        reverse("devices:report_fault"), {"serial": device.serial, "cause": "charging"}
    )
    assert response.status_code == 400 and not DeviceEvent.objects.exists()
    client.post(
        reverse("devices:report_fault"),
        {
            "serial": device.serial,
            "kind": "failure",
            "cause": "charging",
            "submit_token": submit_token(school_a_user),
        },
    )
    assert DeviceEvent.objects.get().kind == DeviceEvent.Kind.FAILURE


# --- 7. The forecast's wording ----------------------------------------------------------------


def test_a_forecast_beyond_ten_years_says_so_instead_of_a_number_of_months(
    client, leader, school_a
):
    """Issue 9: spares that last over 10 years read 「10年以上」, never 「約1794.0か月」 or a year 2172."""
    model = make_device_model()
    spares = make_spares(300, model=model)
    device = make_device(school=school_a, model=model)
    services.device_breakage_record(
        by=leader,
        school=school_a,
        serial=device.serial,
        kind="breakage",
        cause="dropped",
        spare_serial=spares[0].serial,
        date=dt.date(2022, 6, 3),
    )
    client.force_login(leader)
    page = client.get(reverse("devices:forecast")).content.decode()
    card = re.search(r'data-testid="forecast-card".*?</dl>', page, re.S).group(0)
    months_left = re.search(r"残り月数</dt><dd[^>]*>([^<]*)<", card).group(1)
    assert months_left == "10年以上"
    assert "1794" not in card and "約" not in months_left
    run_out = re.search(r'data-testid="run-out">([^<]*)<', card).group(1)
    assert run_out == "—"


def test_a_short_forecast_still_gives_the_months_and_the_run_out_month(client, leader, school_a):
    """Issue 9: a forecast under 10 years keeps 「約N.0か月」 and the month the spares run out."""
    model = make_device_model()
    spares = make_spares(2, model=model)
    device = make_device(school=school_a, model=model)
    services.device_breakage_record(
        by=leader,
        school=school_a,
        serial=device.serial,
        kind="breakage",
        cause="dropped",
        spare_serial=spares[0].serial,
        date=dt.date(2022, 6, 3),
    )
    client.force_login(leader)
    page = client.get(reverse("devices:forecast")).content.decode()
    # One spare left at 1/6 a month: six months, gone in 2022年12月.
    assert "約6.0か月" in page and "10年以上" not in page
    assert re.search(r'data-testid="run-out">([^<]*)<', page).group(1) == "2022年12月"


# --- 8. The fiscal-year control --------------------------------------------------------------


@pytest.mark.parametrize("name", ["devices:breakage", "devices:rates", "devices:causes"])
def test_the_device_reports_choose_the_fiscal_year_from_a_reiwa_select(
    client, leader, school_a, name
):
    """Issue 9: the device reports' fiscal year is a 令和 <select name="fy">, not a number box."""
    device = make_device(school=school_a)
    [spare] = make_spares(1)
    services.device_breakage_record(
        by=leader,
        school=school_a,
        serial=device.serial,
        kind="breakage",
        cause="dropped",
        spare_serial=spare.serial,
        date=dt.date(2022, 6, 3),
    )
    client.force_login(leader)
    page = client.get(reverse(name), {"fy": 2022}).content.decode()
    select = re.search(r'<select[^>]*name="fy"[^>]*>.*?</select>', page, re.S)
    assert select is not None
    assert re.search(r'<option value="2022" selected>令和4年度</option>', select.group(0))
    assert not re.search(r'<input[^>]*name="fy"', page)
    assert not re.search(r'<input[^>]*type="number"[^>]*name="(fy|year)"', page)
