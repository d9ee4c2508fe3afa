"""The demo reproduces the seed's breakage table (section 2) from generated records."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from devices import demo, selectors
from devices.models import Device, DeviceEvent, DeviceModel
from gigaportal import demo as portal_demo
from gigaportal.calendar import Month
from gigaportal.models import User
from gigaportal.roles import Role
from gigaportal.scope import COMMAND_LINE

pytestmark = pytest.mark.django_db

# The seed's table: month, iPad breakages, iPad spares remaining, Chromebook failures.
SEED = [
    ("2022-04", 16, 518, 0),
    ("2022-05", 22, 496, 0),
    ("2022-06", 23, 473, 9),
    ("2022-07", 20, 453, 2),
    ("2022-08", 12, 441, 0),
    ("2022-09", 35, 406, 5),
    ("2022-10", 26, 380, 2),
    ("2022-11", 44, 336, 6),
    ("2022-12", 21, 315, 0),
]
# Chromebook spares are not in the seed; the demo's repairs return within the month
# (see devices/demo.py), so the stock is whole at every month's end.
CHROMEBOOK_SPARES = 21


@pytest.fixture
def loaded():
    out = io.StringIO()
    portal_demo.load(stdout=out)
    demo.load(stdout=out)
    return out


def test_the_breakage_report_prints_the_seeds_table(loaded):
    out = io.StringIO()
    call_command(
        "devices_report",
        "breakage",
        "--from",
        "2022-04",
        "--to",
        "2022-12",
        "--format",
        "csv",
        stdout=out,
    )
    expected = ["model,month,incidents,spares_remaining"]
    expected += [f"iPad,{month},{n},{spares}" for month, n, spares, _c in SEED]
    expected += [f"Chromebook,{month},{c},{CHROMEBOOK_SPARES}" for month, _n, _s, c in SEED]
    assert out.getvalue().splitlines() == expected


def test_the_totals_and_the_stock_at_deployment_match_the_papers(loaded):
    ipad, chromebook = (
        DeviceModel.objects.get(name="iPad"),
        DeviceModel.objects.get(name="Chromebook"),
    )
    assert selectors.fiscal_year_incident_totals(user=COMMAND_LINE, year=2022) == {
        ipad.pk: 219,
        chromebook.pk: 24,
    }
    assert selectors.fiscal_year_incident_totals(user=COMMAND_LINE, year=2021) == {
        ipad.pk: 215,
        chromebook.pk: 2,
    }
    march = selectors.breakage_figures(user=COMMAND_LINE, start=Month(2022, 3), end=Month(2022, 3))
    assert {r.model: r.spares_remaining for r in march.rows}[ipad.pk] == 534
    # Deployed devices: the papers' 24,213 + 720, plus the spares now in their place.
    assert Device.objects.filter(model=ipad).count() == 24_213 + 750
    assert Device.objects.filter(model=chromebook).count() == 720 + 21
    assert Device.objects.filter(model=ipad, status="deployed").count() == 24_213 + 1
    assert (ipad.spares_at_deployment, chromebook.spares_at_deployment) == (750, 21)
    # iPads are at the elementary, junior-high and special-needs schools; Chromebooks at H001.
    assert set(
        Device.objects.filter(model=chromebook, status="deployed").values_list(
            "school__code", flat=True
        )
    ) == {"H001"}
    assert not Device.objects.filter(model=ipad, school__code="H001").exists()


def test_loading_the_demo_twice_changes_nothing(loaded):
    before = (Device.objects.count(), DeviceEvent.objects.count())
    demo.load(stdout=io.StringIO())
    assert (Device.objects.count(), DeviceEvent.objects.count()) == before


def test_the_forecast_of_the_demo_runs_to_december_2023(loaded):
    by_name = {f.model.name: f.forecast for f in selectors.forecasts(user=COMMAND_LINE)}
    ipad = by_name["iPad"]
    assert ipad.as_of == Month(2022, 12) and ipad.spares == 315
    assert ipad.run_out_month == Month(2023, 12)
    assert by_name["Chromebook"].run_out_month is None  # repairs come back


def test_the_fiscal_year_page_and_its_download_show_the_seeds_table(loaded, client):
    client.force_login(User.objects.filter(role=Role.LEADER, is_active=True).first())
    url = reverse("devices:breakage")
    # An old link with ?year= lands on the same table under ?fy=.
    old = client.get(url, {"year": 2022})
    assert (old.status_code, old["Location"]) == (302, f"{url}?fy=2022")
    response = client.get(url, {"fy": 2022, "download": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="device-breakage-2022.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    expected = [
        f"{month[:4]}年{int(month[5:])}月,{n},{spares},{c},{CHROMEBOOK_SPARES}"
        for month, n, spares, c in SEED
    ]
    assert lines[1:10] == expected
    assert lines[10].split(",")[1::2] == ["219", "24"]  # the year's totals
    assert lines[11].startswith("令和3年度") and lines[11].split(",")[1::2] == ["215", "2"]
    page = client.get(url, {"fy": 2022}).content.decode()
    assert "令和4年度" in page and "315" in page
