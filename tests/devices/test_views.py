"""Device pages through the test client: scoping, forms, forged input, downloads."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from devices import services
from devices.models import Device, DeviceEvent
from tests.devices.factories import make_device, make_device_model, make_spares
from tests.factories import submit_token

pytestmark = pytest.mark.django_db


def test_a_school_user_sees_only_their_schools_devices(client, school_a, school_b, school_a_user):
    mine = make_device(school=school_a)
    theirs = make_device(school=school_b)
    [spare] = make_spares(1)
    client.force_login(school_a_user)
    # Even asking for school B by filter shows nothing of it.
    page = client.get(reverse("devices:list"), {"school": school_b.pk}).content.decode()
    assert theirs.serial not in page and spare.serial not in page
    page = client.get(reverse("devices:list")).content.decode()
    assert mine.serial in page and theirs.serial not in page
    suggestions = client.get(reverse("devices:serials"), {"q": "S"}).json()["results"]
    assert [row["serial"] for row in suggestions] == [mine.serial]


def test_the_device_list_filters_by_school_model_and_status(
    client, support_staff, school_a, school_b
):
    chromebook = make_device_model(name="Chromebook", kind="chromebook")
    a = make_device(school=school_a)
    b = make_device(school=school_b, model=chromebook)
    [spare] = make_spares(1)
    client.force_login(support_staff)
    page = client.get(reverse("devices:list"), {"model": chromebook.pk}).content.decode()
    assert b.serial in page and a.serial not in page
    page = client.get(reverse("devices:list"), {"status": "spare"}).content.decode()
    assert spare.serial in page and a.serial not in page


def test_staff_record_a_breakage_with_a_spare(client, support_staff, school_a):
    device = make_device(school=school_a)
    [spare] = make_spares(1)
    client.force_login(support_staff)
    response = client.post(
        reverse("devices:record"),
        {
            "submit_token": submit_token(support_staff),
            "school": school_a.pk,
            "serial": device.serial.lower(),  # typed on a phone
            "kind": "breakage",
            "cause": "cracked_screen",
            "spare_serial": spare.serial,
            "date": "2022-05-10",
        },
    )
    assert response.status_code == 302
    event = DeviceEvent.objects.get()
    assert (event.device, event.spare, event.cause, event.recorded_by) == (
        device,
        spare,
        "cracked_screen",
        support_staff,
    )
    history = client.get(reverse("devices:detail", args=[spare.pk])).content.decode()
    assert device.serial in history and support_staff.display_name in history


def test_the_form_refuses_a_spare_already_issued_with_a_message(client, support_staff, school_a):
    first, second = make_device(school=school_a), make_device(school=school_a)
    [spare] = make_spares(1)
    services.device_breakage_record(
        by=support_staff,
        school=school_a,
        serial=first.serial,
        kind="breakage",
        cause="",
        spare_serial=spare.serial,
    )
    client.force_login(support_staff)
    response = client.post(
        reverse("devices:record"),
        {
            "submit_token": submit_token(support_staff),
            "school": school_a.pk,
            "serial": second.serial,
            "kind": "breakage",
            "cause": "dropped",
            "spare_serial": spare.serial,
            # The first breakage was recorded today; an earlier date is refused for that.
            "date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert 'data-testid="error-spare_serial"' in response.content.decode()
    assert Device.objects.get(pk=second.pk).status == "deployed"


def test_a_school_user_cannot_report_a_fault_on_another_schools_device(
    client, school_a_user, school_b
):
    theirs = make_device(school=school_b)
    client.force_login(school_a_user)
    response = client.post(
        reverse("devices:report_fault"),
        {
            "serial": theirs.serial,
            "kind": "breakage",
            "cause": "dropped",
            "submit_token": submit_token(school_a_user),
        },
    )
    assert response.status_code == 400
    assert not DeviceEvent.objects.exists()


def test_a_school_report_is_confirmed_by_staff(client, school_a, school_a_user, support_staff):
    device = make_device(school=school_a)
    [spare] = make_spares(1)
    client.force_login(school_a_user)
    client.post(
        reverse("devices:report_fault"),
        {
            "serial": device.serial,
            "kind": "failure",
            "cause": "charging",
            "submit_token": submit_token(school_a_user),
        },
    )
    report = DeviceEvent.objects.get(confirmed=False)
    client.force_login(support_staff)
    assert device.serial in client.get(reverse("devices:faults")).content.decode()
    client.post(reverse("devices:confirm_fault", args=[report.pk]), {"spare_serial": spare.serial})
    report.refresh_from_db()
    assert report.confirmed and report.spare == spare
    assert Device.objects.get(pk=device.pk).status == "in_repair"


def test_a_bad_event_file_uploaded_in_the_browser_shows_every_row_and_writes_nothing(
    client, leader, school_a
):
    make_device(school=school_a, serial="UP1")
    client.force_login(leader)
    upload = io.BytesIO(
        "日付,シリアル番号,区分\n2022-04-01,UP1,破損\n2022-04-02,UP1,破損\n2022-13-01,UP1,破損\n".encode(
            "cp932"
        )
    )
    upload.name = "events.csv"
    response = client.post(reverse("devices:import_events"), {"file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page and "2022-13-01" in page
    assert not DeviceEvent.objects.exists()


def test_the_fiscal_year_page_shows_the_table_chart_and_downloads(client, leader, school_a):
    device = make_device(school=school_a)
    [spare] = make_spares(1)
    services.device_breakage_record(
        by=leader,
        school=school_a,
        serial=device.serial,
        kind="breakage",
        cause="",
        spare_serial=spare.serial,
        date=dt.date(2022, 6, 3),
    )
    client.force_login(leader)
    page = client.get(reverse("devices:breakage"), {"fy": 2022}).content.decode()
    assert "令和4年度" in page and 'data-testid="breakage-chart"' in page and "令和3年度" in page
    csv = client.get(reverse("devices:breakage"), {"fy": 2022, "download": "csv"})
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("2022年4月,0,1") and lines[3].startswith("2022年6月,1,0")
    chart = client.get(reverse("devices:breakage_chart", args=[device.model_id]), {"fy": 2022})
    assert chart["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"


def test_the_leaders_home_warns_when_spares_run_short(client, leader, school_a):

    model = make_device_model()
    spares = make_spares(4, model=model)
    for i, spare in enumerate(spares[:3]):
        device = make_device(school=school_a, model=model)
        services.device_breakage_record(
            by=leader,
            school=school_a,
            serial=device.serial,
            kind="breakage",
            cause="",
            spare_serial=spare.serial,
            date=dt.date(2022, 10 + i, 5),
        )
    client.force_login(leader)
    page = client.get(reverse("home")).content.decode()
    # 1 spare left at half a spare a month: two months, under the default six.
    assert 'data-testid="spares-warning"' in page


def post_to_the_list(client, url, data) -> list[str]:
    """Posts a fault list's form in Japanese: back to the list, with its messages."""
    response = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.redirect_chain == [(reverse("devices:faults"), 302)]
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def school_report(school_a, school_a_user):
    device = make_device(school=school_a, serial="FAULT01")
    report = services.device_fault_report(
        by=school_a_user, serial=device.serial, kind="breakage", cause="dropped"
    )
    return device, report


def test_staff_dismiss_a_report_with_a_reason_and_it_stays_on_record(
    client, support_staff, school_report
):
    device, report = school_report
    client.force_login(support_staff)
    assert device.serial in client.get(reverse("devices:faults")).content.decode()
    messages = post_to_the_list(
        client,
        reverse("devices:dismiss_fault", args=[report.pk]),
        {"reason": "保護フィルムの傷で、故障ではなかった"},
    )
    assert messages == ["報告を取り下げました。"]
    report.refresh_from_db()  # kept, not deleted
    assert report.dismissed_at is not None and report.dismissed_by == support_staff
    assert report.dismissal_reason == "保護フィルムの傷で、故障ではなかった"
    assert not report.confirmed
    assert Device.objects.get(pk=device.pk).status == Device.Status.DEPLOYED
    # The list of reports waiting for staff no longer shows it.
    page = client.get(reverse("devices:faults")).content.decode()
    assert device.serial not in page and "保護フィルム" not in page


def test_a_dismissed_report_cannot_be_dismissed_again_nor_confirmed_from_the_list(
    client, support_staff, leader, school_report
):
    device, report = school_report
    [spare] = make_spares(1)
    services.device_fault_dismiss(by=support_staff, event_id=report.pk, reason="誤報")
    client.force_login(leader)  # a colleague, from a list loaded before the dismissal
    again = post_to_the_list(
        client, reverse("devices:dismiss_fault", args=[report.pk]), {"reason": "二度目"}
    )
    assert again == ["この報告はすでに処理されています。"]
    confirm = post_to_the_list(
        client, reverse("devices:confirm_fault", args=[report.pk]), {"spare_serial": spare.serial}
    )
    assert confirm == ["この報告はすでに処理されています。"]
    report.refresh_from_db()
    assert (report.dismissed_by, report.dismissal_reason, report.confirmed) == (
        support_staff,
        "誤報",
        False,
    )
    assert Device.objects.get(pk=device.pk).status == Device.Status.DEPLOYED
    assert Device.objects.get(pk=spare.pk).status == Device.Status.SPARE


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_dismissal_without_a_reason_is_refused_with_a_japanese_message(
    client, support_staff, school_report, data
):
    _device, report = school_report
    client.force_login(support_staff)
    messages = post_to_the_list(client, reverse("devices:dismiss_fault", args=[report.pk]), data)
    assert messages == ["取り下げる理由を書いてください。"]
    report.refresh_from_db()
    assert report.is_pending and report.dismissed_at is None and report.dismissal_reason == ""


def test_old_year_links_to_the_reports_redirect_to_fy(client, leader):
    client.force_login(leader)
    for name in ("devices:breakage", "devices:rates", "devices:causes"):
        response = client.get(reverse(name), {"year": 2022, "download": "csv"})
        assert response.status_code == 302
        assert response["Location"] == f"{reverse(name)}?download=csv&fy=2022"


def test_the_device_history_shows_a_dismissed_report_with_its_reason(
    client, school_a_user, support_staff, school_report
):
    device, report = school_report
    services.device_fault_dismiss(by=support_staff, event_id=report.pk, reason="保護フィルムの傷")
    client.force_login(school_a_user)  # the school sees what became of its report
    page = client.get(reverse("devices:detail", args=[device.pk])).content.decode()
    assert "保護フィルムの傷" in page
    assert "確認待ち" not in page
