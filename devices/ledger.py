"""The spare-stock ledger: pure rules over plain values, no ORM.

A device's status changes only by an event. `apply_events` takes the devices'
current states and a batch of events, applies them in date order (a stable sort, so
events of one day keep the order they were given in), and returns the new states,
what each event did to the spare stock, and every rule an event broke. The service
(devices.services.ledger_apply) loads the states, calls this, and writes the result;
nothing else changes a status.

Rules:
- breakage / failure: only a deployed device breaks; it goes to repair (and leaves its
  school). It may name a spare of the same model, which is issued to the broken
  device's school.
- issue (払出): only a device in spare status can be issued, to a school.
- repair (修理完了): a device in repair comes back to the spare pool.
- retire (廃棄): any device not yet retired.
- dates: no event after today, none before an event already recorded for a device
  it names (events are applied to today's states, so the past stays as recorded).
Because only a spare can be issued, the spare count cannot go below zero.

The monthly breakage table and the forecast are computed here too, from counts the
selectors aggregate in SQL.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _

from gigaportal.calendar import Month, month_range


class Status(StrEnum):
    DEPLOYED = "deployed"
    SPARE = "spare"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"


class Kind(StrEnum):
    BREAKAGE = "breakage"
    FAILURE = "failure"
    ISSUE = "issue"
    REPAIR = "repair"
    RETIRE = "retire"


FAULT_KINDS = frozenset({Kind.BREAKAGE, Kind.FAILURE})


@dataclass(frozen=True)
class DeviceState:
    serial: str
    model: Hashable
    status: Status
    school: Hashable | None = None
    # How many times the device has come back to the spare pool. An issue is recorded
    # with the cycle it consumed, and the database allows one issue per (device, cycle):
    # the same spare cannot go out twice, even from two requests at once.
    spare_cycle: int = 0


@dataclass(frozen=True)
class Event:
    date: date
    serial: str
    kind: Kind
    spare_serial: str | None = None
    school: Hashable | None = None
    # Where the event came from (a CSV row number, a form): echoed in violations.
    ref: Any = None
    # Carried through to the record; the rules do not look at them.
    cause: str = ""
    note: str = ""


@dataclass(frozen=True)
class Applied:
    """What one event did: the school it happened at, the spare it consumed (and in
    which spare cycle) and its effect on the model's spare count."""

    event: Event
    model: Hashable
    school: Hashable | None
    spare_serial: str | None
    spare_cycle: int | None
    spare_delta: int


@dataclass(frozen=True)
class Violation:
    event: Event
    field: str
    message: Any  # a lazy translation

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Outcome:
    states: Mapping[str, DeviceState]
    applied: Sequence[Applied]
    violations: Sequence[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations

    def changed(self, before: Mapping[str, DeviceState]) -> dict[str, DeviceState]:
        return {
            serial: state for serial, state in self.states.items() if before.get(serial) != state
        }


class LedgerError(Exception):
    """Raised by services when a batch of events breaks a rule; nothing is written."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__("; ".join(str(v) for v in self.violations))


_STATUS_WORDS = {
    Status.DEPLOYED: _("deployed"),
    Status.SPARE: _("spare"),
    Status.IN_REPAIR: _("in repair"),
    Status.RETIRED: _("retired"),
}


def _is_not(serial: str, status: Status, wanted: str):
    return _("%(serial)s is %(status)s, not %(wanted)s") % {
        "serial": serial,
        "status": _STATUS_WORDS[status],
        "wanted": wanted,
    }


def _date_problem(event: Event, latest: Mapping[str, date], today: date | None):
    """An event may not be dated in the future, nor before an event already recorded
    for the devices it names: the states it is applied to are today's, so a backdated
    event would rewrite the past (a spare issued in May that only came back in June)."""
    if today is not None and event.date > today:
        return _("the date %(date)s is in the future") % {"date": event.date.isoformat()}
    for serial in (event.serial, event.spare_serial):
        if serial and serial in latest and event.date < latest[serial]:
            return _(
                "%(serial)s already has an event dated %(latest)s; "
                "an event cannot be dated before it"
            ) % {"serial": serial, "latest": latest[serial].isoformat()}
    return None


def apply_events(
    states: Mapping[str, DeviceState],
    events: Iterable[Event],
    *,
    latest_dates: Mapping[str, date] | None = None,
    today: date | None = None,
) -> Outcome:
    """Applies events in date order; an event that breaks a rule is reported and
    skipped (so one bad row does not hide the problems of the others).

    `latest_dates` holds, per serial, the date of the latest event already recorded
    for the device (as subject or as the spare issued); `today` the current date.
    An event dated before either device's latest event, or after today, is refused.
    """
    current = dict(states)
    latest = dict(latest_dates or {})
    applied: list[Applied] = []
    violations: list[Violation] = []

    def refuse(event: Event, field_name: str, message) -> None:
        violations.append(Violation(event, field_name, message))

    for event in sorted(events, key=lambda e: e.date):
        device = current.get(event.serial)
        if device is None:
            refuse(event, "serial", _("unknown serial %(serial)s") % {"serial": event.serial})
            continue
        if problem := _date_problem(event, latest, today):
            refuse(event, "date", problem)
            continue
        before = len(applied)
        kind = Kind(event.kind)
        if kind in (Kind.REPAIR, Kind.RETIRE) and event.spare_serial:
            refuse(event, "spare_serial", _("only a breakage or failure names a spare"))
            continue
        if kind in FAULT_KINDS:
            if device.status != Status.DEPLOYED:
                refuse(event, "serial", _is_not(event.serial, device.status, _("deployed")))
                continue
            spare = None
            if event.spare_serial:
                spare = current.get(event.spare_serial)
                problem = _spare_problem(event, device, spare)
                if problem:
                    refuse(event, "spare_serial", problem)
                    continue
            current[device.serial] = replace(device, status=Status.IN_REPAIR, school=None)
            if spare is not None:
                current[spare.serial] = replace(spare, status=Status.DEPLOYED, school=device.school)
            applied.append(
                Applied(
                    event,
                    device.model,
                    device.school,
                    spare.serial if spare else None,
                    spare.spare_cycle if spare else None,
                    -1 if spare else 0,
                )
            )
        elif kind == Kind.ISSUE:
            if event.spare_serial and event.spare_serial != event.serial:
                refuse(event, "spare_serial", _("an issue names only the spare it issues"))
                continue
            if device.status != Status.SPARE:
                refuse(event, "serial", _is_not(event.serial, device.status, _("spare")))
                continue
            if event.school is None:
                refuse(event, "school", _("an issue needs the school the spare goes to"))
                continue
            current[device.serial] = replace(device, status=Status.DEPLOYED, school=event.school)
            applied.append(
                Applied(event, device.model, event.school, device.serial, device.spare_cycle, -1)
            )
        elif kind == Kind.REPAIR:
            if device.status != Status.IN_REPAIR:
                refuse(event, "serial", _is_not(event.serial, device.status, _("in repair")))
                continue
            current[device.serial] = replace(
                device, status=Status.SPARE, school=None, spare_cycle=device.spare_cycle + 1
            )
            applied.append(Applied(event, device.model, None, None, None, +1))
        elif kind == Kind.RETIRE:
            if device.status == Status.RETIRED:
                refuse(
                    event, "serial", _("%(serial)s is already retired") % {"serial": event.serial}
                )
                continue
            current[device.serial] = replace(device, status=Status.RETIRED, school=None)
            delta = -1 if device.status == Status.SPARE else 0
            applied.append(Applied(event, device.model, device.school, None, None, delta))
        if len(applied) > before:
            for serial in (event.serial, event.spare_serial):
                if serial:
                    latest[serial] = event.date
    return Outcome(current, applied, violations)


def _spare_problem(event: Event, device: DeviceState, spare: DeviceState | None):
    if spare is None:
        return _("unknown spare serial %(serial)s") % {"serial": event.spare_serial}
    if spare.serial == device.serial:
        return _("a device cannot replace itself")
    if spare.status != Status.SPARE:
        return _is_not(spare.serial, spare.status, _("spare"))
    if spare.model != device.model:
        return _("the spare %(serial)s is another model") % {"serial": spare.serial}
    return None


# --- The monthly breakage table ------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    model: Hashable
    month: Month
    incidents: int
    spares_remaining: int


def breakage_table(
    *,
    models: Sequence[Hashable],
    start: Month,
    end: Month,
    incidents: Mapping[tuple[Hashable, Month], int],
    current_spares: Mapping[Hashable, int],
    spare_deltas: Mapping[tuple[Hashable, Month], int],
) -> list[MonthFigures]:
    """Per model and month: incidents (breakages + failures) and the spares left at the
    month's end.

    The spare count at a month's end is today's count with every later month's
    change taken back: `current − Σ deltas of later months`. `spare_deltas` must hold
    every month with a change (not only those shown), or the past comes out wrong.
    """
    months = list(month_range(start, end))
    rows: list[MonthFigures] = []
    for model in models:
        later: Counter = Counter()
        for (delta_model, month), delta in spare_deltas.items():
            if delta_model == model:
                later[month] += delta
        # Start from today's count without the changes after `end`, then walk back.
        spares = current_spares.get(model, 0) - sum(
            delta for month, delta in later.items() if month > end
        )
        at_end: dict[Month, int] = {}
        for month in reversed(months):
            at_end[month] = spares
            spares -= later.get(month, 0)
        rows.extend(
            MonthFigures(model, month, incidents.get((model, month), 0), at_end[month])
            for month in months
        )
    return rows


# --- The forecast --------------------------------------------------------------------

TRAILING_MONTHS = 6


@dataclass(frozen=True)
class Forecast:
    model: Hashable
    as_of: Month
    spares: int
    # Spares consumed per month on average over the trailing months (issued minus
    # returned from repair); zero when the stock does not shrink.
    monthly_rate: Decimal
    months_left: Decimal | None  # None: the stock does not shrink
    run_out_month: Month | None
    threshold_months: int
    trailing: tuple[int, ...] = field(default=())

    @property
    def warning(self) -> bool:
        return self.months_left is not None and self.months_left < self.threshold_months

    @property
    def beyond_horizon(self) -> bool:
        """Ten years or more at the recent rate: a run-out month that far ahead (2183年)
        says nothing a reader can plan with; the page says "10年以上" instead."""
        return self.months_left is not None and self.months_left >= HORIZON_MONTHS


HORIZON_MONTHS = 120

# The ledger step a device's page offers next, by its status (the rules above decide
# whether it is allowed; a fault at a school is recorded on the phone form).
NEXT_STEPS: Mapping[Status, tuple[Kind, ...]] = {
    Status.DEPLOYED: (Kind.RETIRE,),
    Status.SPARE: (Kind.ISSUE, Kind.RETIRE),
    Status.IN_REPAIR: (Kind.REPAIR, Kind.RETIRE),
    Status.RETIRED: (),
}


def next_steps(status: Status) -> tuple[Kind, ...]:
    return NEXT_STEPS[Status(status)]


def forecast(
    *,
    model: Hashable,
    as_of: Month,
    spares: int,
    consumption: Sequence[int],
    threshold_months: int,
) -> Forecast:
    """At the trailing rate (the mean of `consumption`, spares consumed in each of the
    last months up to `as_of`), how many months the stock lasts and the month in which
    it runs out: the stock is gone during the month when the cumulative consumption
    first exceeds it (exactly used up at a month's end counts as that month).
    """
    trailing = tuple(consumption[-TRAILING_MONTHS:])
    total = sum(trailing)
    if not trailing or total <= 0:
        return Forecast(model, as_of, spares, Decimal(0), None, None, threshold_months, trailing)
    rate = Decimal(total) / Decimal(len(trailing))
    if spares <= 0:
        months_left = Decimal(0)
        run_out = as_of
    else:
        months_left = Decimal(spares) * len(trailing) / total
        # Exact arithmetic: a float could turn 12 months into 12.000001 and a month late.
        run_out = as_of.add(math.ceil(Fraction(spares * len(trailing), total)))
    return Forecast(
        model,
        as_of,
        spares,
        rate.quantize(Decimal("0.1"), ROUND_HALF_UP),
        months_left.quantize(Decimal("0.1"), ROUND_HALF_UP),
        run_out,
        threshold_months,
        trailing,
    )


def monthly_consumption(
    *, model: Hashable, months: Sequence[Month], spare_deltas: Mapping[tuple[Hashable, Month], int]
) -> list[int]:
    """Spares consumed in each month (a net return from repair counts as negative)."""
    return [-spare_deltas.get((model, month), 0) for month in months]


# --- Rates ----------------------------------------------------------------------------


def per_thousand(count: int, deployed: int) -> Decimal | None:
    """Incidents per 1,000 deployed devices, one decimal; None without devices."""
    if deployed <= 0:
        return None
    return (Decimal(count) * 1000 / Decimal(deployed)).quantize(Decimal("0.1"), ROUND_HALF_UP)
