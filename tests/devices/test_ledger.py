"""The ledger's rules as pure functions: no database."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from devices.ledger import (
    DeviceState,
    Event,
    Kind,
    Status,
    apply_events,
    breakage_table,
    forecast,
    monthly_consumption,
    per_thousand,
)
from gigaportal.calendar import Month

D = dt.date(2022, 4, 15)
SCHOOL_A, SCHOOL_B = 1, 2


def spare_counts(states) -> Counter:
    """Devices in spare status by model (the database counts them in
    devices.selectors; the pure rules only need it here)."""
    return Counter(state.model for state in states if state.status == Status.SPARE)


def stock(*, deployed=("D1", "D2"), spares=("S1", "S2"), model="ipad", school=SCHOOL_A):
    states = {s: DeviceState(s, model, Status.DEPLOYED, school) for s in deployed}
    states |= {s: DeviceState(s, model, Status.SPARE, None) for s in spares}
    return states


def test_a_breakage_sends_the_device_to_repair_and_issues_the_named_spare():
    outcome = apply_events(stock(), [Event(D, "D1", Kind.BREAKAGE, spare_serial="S1")])
    assert outcome.ok
    assert outcome.states["D1"].status == Status.IN_REPAIR
    assert outcome.states["D1"].school is None
    assert outcome.states["S1"] == DeviceState("S1", "ipad", Status.DEPLOYED, SCHOOL_A)
    [applied] = outcome.applied
    assert (applied.school, applied.spare_serial, applied.spare_cycle, applied.spare_delta) == (
        SCHOOL_A,
        "S1",
        0,
        -1,
    )
    assert spare_counts(outcome.states.values()) == {"ipad": 1}


def test_a_breakage_without_a_spare_leaves_the_stock_alone():
    outcome = apply_events(stock(), [Event(D, "D1", Kind.FAILURE)])
    assert outcome.ok
    assert outcome.applied[0].spare_delta == 0
    assert spare_counts(outcome.states.values()) == {"ipad": 2}


def test_it_rejects_a_second_spare_issue():
    outcome = apply_events(
        stock(),
        [
            Event(D, "D1", Kind.BREAKAGE, spare_serial="S1", ref=2),
            Event(D, "D2", Kind.BREAKAGE, spare_serial="S1", ref=3),
        ],
    )
    assert [v.event.ref for v in outcome.violations] == [3]
    assert outcome.violations[0].field == "spare_serial"
    assert "S1" in str(outcome.violations[0])
    # The refused event changed nothing: D2 is still deployed.
    assert outcome.states["D2"].status == Status.DEPLOYED


def test_only_a_spare_can_be_issued():
    outcome = apply_events(stock(), [Event(D, "D1", Kind.ISSUE, school=SCHOOL_B)])
    assert not outcome.ok
    assert outcome.states["D1"].school == SCHOOL_A


def test_an_issue_for_a_new_pupil_deploys_the_spare_at_the_school():
    outcome = apply_events(stock(), [Event(D, "S2", Kind.ISSUE, school=SCHOOL_B)])
    assert outcome.ok
    assert outcome.states["S2"] == DeviceState("S2", "ipad", Status.DEPLOYED, SCHOOL_B)
    assert outcome.applied[0].spare_serial == "S2"
    assert outcome.applied[0].spare_delta == -1


def test_an_issue_needs_a_school():
    outcome = apply_events(stock(), [Event(D, "S2", Kind.ISSUE)])
    assert outcome.violations[0].field == "school"


def test_a_spare_of_another_model_cannot_replace_a_device():
    states = stock() | {"C1": DeviceState("C1", "chromebook", Status.SPARE)}
    outcome = apply_events(states, [Event(D, "D1", Kind.BREAKAGE, spare_serial="C1")])
    assert not outcome.ok
    assert outcome.states["C1"].status == Status.SPARE


def test_a_device_cannot_replace_itself_nor_name_an_unknown_spare():
    outcome = apply_events(
        stock(),
        [
            Event(D, "D1", Kind.BREAKAGE, spare_serial="D1", ref="a"),
            Event(D, "D2", Kind.BREAKAGE, spare_serial="NOPE", ref="b"),
        ],
    )
    assert [v.event.ref for v in outcome.violations] == ["a", "b"]


def test_unknown_serials_are_reported():
    outcome = apply_events(stock(), [Event(D, "X9", Kind.BREAKAGE)])
    assert outcome.violations[0].field == "serial"
    assert "X9" in str(outcome.violations[0])


def test_only_a_deployed_device_breaks():
    outcome = apply_events(stock(), [Event(D, "S1", Kind.BREAKAGE)])
    assert not outcome.ok


def test_a_repaired_device_returns_to_the_pool_in_a_new_spare_cycle():
    outcome = apply_events(
        stock(spares=("S1",)),
        [
            Event(dt.date(2022, 4, 1), "D1", Kind.BREAKAGE, spare_serial="S1"),
            Event(dt.date(2022, 4, 20), "D1", Kind.REPAIR),
            Event(dt.date(2022, 5, 2), "D2", Kind.FAILURE, spare_serial="D1"),
        ],
    )
    assert outcome.ok
    assert [a.spare_delta for a in outcome.applied] == [-1, +1, -1]
    # The repaired device was issued in its second spare cycle: a distinct issue.
    assert outcome.applied[2].spare_cycle == 1
    assert outcome.states["D1"].status == Status.DEPLOYED


def test_a_repair_needs_a_device_in_repair():
    outcome = apply_events(stock(), [Event(D, "D1", Kind.REPAIR)])
    assert not outcome.ok


def test_events_are_applied_in_date_order_not_file_order():
    # The repair comes first in the file but happens after the breakage.
    outcome = apply_events(
        stock(spares=()),
        [
            Event(dt.date(2022, 5, 1), "D1", Kind.REPAIR, ref=2),
            Event(dt.date(2022, 4, 1), "D1", Kind.BREAKAGE, ref=3),
        ],
    )
    assert outcome.ok
    assert outcome.states["D1"].status == Status.SPARE


def test_retiring_a_spare_shrinks_the_stock_and_a_retired_device_stays_retired():
    outcome = apply_events(
        stock(),
        [Event(D, "S1", Kind.RETIRE), Event(D, "D1", Kind.RETIRE), Event(D, "D1", Kind.RETIRE)],
    )
    assert [a.spare_delta for a in outcome.applied] == [-1, 0]
    assert len(outcome.violations) == 1
    assert spare_counts(outcome.states.values()) == {"ipad": 1}


def test_only_a_fault_names_a_spare():
    outcome = apply_events(stock(), [Event(D, "D1", Kind.RETIRE, spare_serial="S1")])
    assert not outcome.ok
    assert outcome.states["D1"].status == Status.DEPLOYED


def test_the_spare_count_never_goes_below_zero_however_many_breakages():
    states = stock(deployed=[f"D{i}" for i in range(10)], spares=("S1", "S2", "S3"))
    spares = ["S1", "S2", "S3", "S1", "S2", "S3", "S1"]
    events = [
        Event(D, f"D{i}", Kind.BREAKAGE, spare_serial=spare) for i, spare in enumerate(spares)
    ]
    outcome = apply_events(states, events)
    assert len(outcome.applied) == 3
    assert len(outcome.violations) == 4
    assert spare_counts(outcome.states.values())["ipad"] == 0


def test_changed_lists_only_the_devices_an_event_touched():
    before = stock()
    outcome = apply_events(before, [Event(D, "D1", Kind.BREAKAGE, spare_serial="S1")])
    assert set(outcome.changed(before)) == {"D1", "S1"}


# --- breakage table ---------------------------------------------------------------------


def test_the_breakage_table_walks_the_spare_count_back_from_today():
    apr, may, jun = Month(2022, 4), Month(2022, 5), Month(2022, 6)
    rows = breakage_table(
        models=["ipad"],
        start=apr,
        end=may,
        incidents={("ipad", apr): 16, ("ipad", may): 22},
        current_spares={"ipad": 470},
        # June is after the table but its change must still be taken back.
        spare_deltas={("ipad", apr): -16, ("ipad", may): -22, ("ipad", jun): -26},
    )
    assert [(r.month, r.incidents, r.spares_remaining) for r in rows] == [
        (apr, 16, 518),
        (may, 22, 496),
    ]


def test_the_breakage_table_fills_quiet_months_with_zero_incidents():
    apr, may = Month(2022, 4), Month(2022, 5)
    rows = breakage_table(
        models=["chromebook", "ipad"],
        start=apr,
        end=may,
        incidents={},
        current_spares={"chromebook": 21},
        spare_deltas={},
    )
    assert [(r.model, r.incidents, r.spares_remaining) for r in rows] == [
        ("chromebook", 0, 21),
        ("chromebook", 0, 21),
        ("ipad", 0, 0),
        ("ipad", 0, 0),
    ]


# --- forecast ------------------------------------------------------------------------------


def test_the_forecast_divides_the_stock_by_the_trailing_six_month_rate():
    # The seed's July–December 2022: 20, 12, 35, 26, 44, 21 breakages, 315 spares left.
    result = forecast(
        model="ipad",
        as_of=Month(2022, 12),
        spares=315,
        consumption=[16, 22, 23, 20, 12, 35, 26, 44, 21],
        threshold_months=6,
    )
    assert result.trailing == (20, 12, 35, 26, 44, 21)
    assert result.monthly_rate == Decimal("26.3")
    assert result.months_left == Decimal("12.0")  # 315 / (158 / 6) = 11.96
    assert result.run_out_month == Month(2023, 12)
    assert not result.warning


def test_a_stock_used_up_exactly_at_a_months_end_runs_out_in_that_month():
    result = forecast(
        model="x", as_of=Month(2022, 12), spares=60, consumption=[10] * 6, threshold_months=6
    )
    assert result.months_left == Decimal("6.0")
    assert result.run_out_month == Month(2023, 6)
    assert not result.warning  # six months is not under six


def test_the_forecast_warns_under_the_threshold():
    result = forecast(
        model="x", as_of=Month(2023, 1), spares=50, consumption=[10] * 6, threshold_months=6
    )
    assert result.months_left == Decimal("5.0")
    assert result.run_out_month == Month(2023, 6)
    assert result.warning


def test_a_stock_that_does_not_shrink_never_runs_out():
    result = forecast(
        model="x", as_of=Month(2023, 1), spares=21, consumption=[0, 2, -2, 0], threshold_months=6
    )
    assert result.months_left is None and result.run_out_month is None
    assert not result.warning


def test_an_empty_stock_has_run_out_already():
    result = forecast(
        model="x", as_of=Month(2023, 1), spares=0, consumption=[3] * 6, threshold_months=6
    )
    assert result.months_left == 0
    assert result.run_out_month == Month(2023, 1)
    assert result.warning


def test_monthly_consumption_counts_returns_from_repair_against_issues():
    months = [Month(2022, 6), Month(2022, 7)]
    assert monthly_consumption(
        model="c", months=months, spare_deltas={("c", months[0]): -9, ("c", months[1]): 7}
    ) == [9, -7]


def test_per_thousand_rounds_to_one_decimal_and_needs_devices():
    assert per_thousand(3, 400) == Decimal("7.5")
    assert per_thousand(0, 400) == Decimal("0.0")
    assert per_thousand(1, 0) is None


# --- Dates: the past stays as recorded, the future is not recorded ---------------------------


def test_an_event_dated_before_the_devices_latest_event_is_refused():
    latest = {"D1": dt.date(2022, 6, 1)}
    outcome = apply_events(stock(), [Event(D, "D1", Kind.FAILURE, ref=2)], latest_dates=latest)
    [violation] = outcome.violations
    assert (violation.event.ref, violation.field) == (2, "date")
    assert "2022-06-01" in str(violation)
    assert outcome.states["D1"].status == Status.DEPLOYED


def test_a_spare_issued_before_its_own_latest_event_is_refused():
    # S1 came back from repair in June: it cannot have replaced a breakage in April.
    latest = {"S1": dt.date(2022, 6, 1)}
    outcome = apply_events(
        stock(), [Event(D, "D1", Kind.BREAKAGE, spare_serial="S1")], latest_dates=latest
    )
    assert [v.field for v in outcome.violations] == ["date"]
    assert "S1" in str(outcome.violations[0])


def test_an_event_on_the_same_day_as_the_latest_is_accepted():
    outcome = apply_events(stock(), [Event(D, "D1", Kind.FAILURE)], latest_dates={"D1": D})
    assert outcome.ok


def test_an_event_after_today_is_refused():
    outcome = apply_events(
        stock(), [Event(dt.date(2099, 1, 1), "D1", Kind.FAILURE)], today=dt.date(2022, 5, 1)
    )
    assert [v.field for v in outcome.violations] == ["date"]
    assert "2099-01-01" in str(outcome.violations[0])
    assert apply_events(stock(), [Event(D, "D1", Kind.FAILURE)], today=D).ok  # today itself is fine


def test_a_batch_is_applied_in_date_order_and_moves_each_devices_latest_date():
    later, earlier = dt.date(2022, 6, 1), dt.date(2022, 5, 1)
    outcome = apply_events(
        stock(),
        [
            Event(later, "D1", Kind.REPAIR),
            Event(earlier, "D1", Kind.BREAKAGE),
        ],
        latest_dates={"D1": dt.date(2022, 4, 1)},
    )
    assert outcome.ok and outcome.states["D1"].status == Status.SPARE
