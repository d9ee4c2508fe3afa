"""The breakage form on a phone, in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from devices.models import Device, DeviceEvent
from tests.conftest import browser_login, screenshot
from tests.devices.factories import make_device, make_spares

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_record_a_breakage_with_a_spare_on_a_phone(phone_page, support_staff, school_a):
    broken = make_device(school=school_a, serial="DMQ0000123")
    make_device(school=school_a, serial="DMQ0000999")
    [spare, _other] = make_spares(2, prefix="DMQS")
    page = phone_page
    browser_login(page, support_staff.username)
    page.goto("/devices/record/")
    assert page.locator("h1").inner_text() == "破損の記録"
    page.select_option("#id_school", str(school_a.pk))
    page.fill("#id_serial", "dmq0000")
    # The datalist offers this school's deployed serials as the user types.
    expect(page.locator("#serial-options option")).to_have_count(2)
    page.fill("#id_serial", "dmq0000123")
    page.get_by_text("破損", exact=True).click()
    page.get_by_text("画面割れ", exact=True).click()
    page.fill("#id_spare_serial", spare.serial)
    page.fill("#id_note", "休み時間に落とした")
    screenshot(page, "devices-breakage-form-phone")
    page.get_by_role("button", name="記録する").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator(".alert-success").inner_text()
    assert broken.serial in alert and spare.serial in alert
    screenshot(page, "devices-breakage-recorded-phone")

    event = DeviceEvent.objects.get()
    assert (event.device_id, event.spare_id, event.cause, event.note) == (
        broken.pk,
        spare.pk,
        "cracked_screen",
        "休み時間に落とした",
    )
    assert Device.objects.get(pk=spare.pk).school_id == school_a.pk
    # The form is ready for the next one at the same school.
    assert page.locator("#id_school").input_value() == str(school_a.pk)
