"""Demo inventory and ledger (`manage.py load_demo`) reproducing section 2 of the seed.

- iPad: 24,213 deployed at the elementary, junior-high and special-needs schools,
  750 spares. Chromebook: 720 deployed at the high school (H001), 21 spares.
- FY2021: 215 iPad breakages and one spare issued for a new pupil; 2 Chromebook
  failures. FY2022 April–December: the seed's monthly figures.
- Every iPad breakage is replaced from the spare stock and the broken iPad goes to
  repair; none has come back yet (the papers' spare count only falls), so the spares
  left at the start of April 2022 are 750 − 215 − 1 = 534 and 315 at December's end.
- A failed Chromebook is swapped for a spare and sent for a warranty repair, which
  comes back into the spare pool ten days later, within the same month (failures are
  dated on or before the 15th). Chromebook spares are therefore 21 at every month's
  end, and never below 14 even in June 2022 with its nine failures.

The events go through devices.services.device_events_record, the same path as an
import, so the demo obeys the ledger's rules. A second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import deque

from devices import ledger, services
from devices.models import Device, DeviceEvent, DeviceModel, DevicesSettings
from gigaportal.calendar import Month, month_range
from gigaportal.models import School, User
from traffic import demo as traffic_demo

IPAD_DEPLOYED, IPAD_SPARES = 24_213, 750
CHROMEBOOK_DEPLOYED, CHROMEBOOK_SPARES = 720, 21
HIGH_SCHOOL = "H001"

# iPad breakages per month, April to March. FY2021's months are not in the papers;
# only their total (215) is, so these are a plausible spread of it.
IPAD_BREAKAGES = {
    2021: [14, 18, 20, 17, 9, 22, 19, 24, 18, 15, 21, 18],
    2022: [16, 22, 23, 20, 12, 35, 26, 44, 21],
}
CHROMEBOOK_FAILURES = {
    2021: [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0],
    2022: [0, 0, 9, 2, 0, 5, 2, 6, 0],
}
NEW_PUPIL_ISSUE = (dt.date(2021, 9, 1), "E002")  # the one spare issued without a breakage
CHROMEBOOK_REPAIR_DAYS = 10

IPAD_CAUSES = [
    (DeviceEvent.Cause.DROPPED, 45),
    (DeviceEvent.Cause.CRACKED_SCREEN, 30),
    (DeviceEvent.Cause.WATER, 8),
    (DeviceEvent.Cause.CHARGING, 10),
    (DeviceEvent.Cause.OTHER, 7),
]
CHROMEBOOK_CAUSES = [(DeviceEvent.Cause.CHARGING, 60), (DeviceEvent.Cause.OTHER, 40)]

for _counts in (IPAD_BREAKAGES, CHROMEBOOK_FAILURES):
    assert sum(_counts[2021]) == (215 if _counts is IPAD_BREAKAGES else 2)
assert sum(IPAD_BREAKAGES[2022]) == 219 and sum(CHROMEBOOK_FAILURES[2022]) == 24


def _ipad_serial(n: int) -> str:
    return f"DMQ{n:07d}"


def _chromebook_serial(n: int) -> str:
    return f"5CD{n:07d}"


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Splits `total` in proportion to `weights`, exactly (largest remainders)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def load(*, stdout) -> None:
    if Device.objects.filter(serial=_ipad_serial(1)).exists():
        stdout.write("devices: demo already loaded")
        return
    DevicesSettings.objects.get_or_create(pk=1)
    ipad, _ = DeviceModel.objects.get_or_create(
        name="iPad",
        defaults={"kind": DeviceModel.Kind.IPAD, "spares_at_deployment": IPAD_SPARES},
    )
    chromebook, _ = DeviceModel.objects.get_or_create(
        name="Chromebook",
        defaults={"kind": DeviceModel.Kind.CHROMEBOOK, "spares_at_deployment": CHROMEBOOK_SPARES},
    )
    schools = list(School.objects.exclude(code=HIGH_SCHOOL).order_by("code"))
    high_school = School.objects.get(code=HIGH_SCHOOL)
    codes = {s.code: s.pk for s in schools}
    # Each deployed iPad carries one of its school's demo cellular lines, so the traffic
    # pages and the MDM recipient lists can name the device behind a heavy line; a
    # school's iPads are in proportion to its lines (the papers count 24,933 lines and
    # 24,213 deployed iPads, so every school has a few lines more than iPads).
    lines_at: dict[str, list[str]] = {}
    for number, code in traffic_demo.demo_lines([s.code for s in schools]):
        lines_at.setdefault(code, []).append(number)
    weights = [len(lines_at.get(s.code, [])) for s in schools]
    devices: list[Device] = []
    n = 0
    ipads_at: dict[int, list[str]] = {}
    for school, count in zip(schools, _allocate(IPAD_DEPLOYED, weights), strict=True):
        school_lines = iter(lines_at.get(school.code, []))
        for _i in range(count):
            n += 1
            devices.append(
                Device(
                    serial=_ipad_serial(n),
                    model=ipad,
                    school_id=school.pk,
                    status=Device.Status.DEPLOYED,
                    asset_tag=f"GIGA-{n:06d}",
                    line_number=next(school_lines, ""),
                )
            )
            ipads_at.setdefault(school.pk, []).append(_ipad_serial(n))
    ipad_spares = [_ipad_serial(n + i) for i in range(1, IPAD_SPARES + 1)]
    devices += [Device(serial=s, model=ipad, status=Device.Status.SPARE) for s in ipad_spares]
    chromebooks = [_chromebook_serial(i) for i in range(1, CHROMEBOOK_DEPLOYED + 1)]
    devices += [
        Device(serial=s, model=chromebook, school=high_school, status=Device.Status.DEPLOYED)
        for s in chromebooks
    ]
    chromebook_spares = [
        _chromebook_serial(CHROMEBOOK_DEPLOYED + i) for i in range(1, CHROMEBOOK_SPARES + 1)
    ]
    devices += [
        Device(serial=s, model=chromebook, status=Device.Status.SPARE) for s in chromebook_spares
    ]
    Device.objects.bulk_create(devices, batch_size=2000)

    events = _events(
        deployed_ipads=[s for serials in ipads_at.values() for s in serials],
        ipad_spares=ipad_spares,
        chromebooks=chromebooks,
        chromebook_spares=chromebook_spares,
        new_pupil_school=codes[NEW_PUPIL_ISSUE[1]],
    )
    recorder = User.objects.filter(username="support").first()
    services.device_events_record(events=events, by=recorder)
    stdout.write(
        f"devices: {len(devices)} devices, {len(events)} ledger events (FY2021–FY2022 breakages)"
    )


def _months(counts: dict[int, list[int]]):
    for year, per_month in counts.items():
        yield from zip(month_range(Month(year, 4), Month(year + 1, 3)), per_month, strict=False)


def _events(
    *,
    deployed_ipads: list[str],
    ipad_spares: list[str],
    chromebooks: list[str],
    chromebook_spares: list[str],
    new_pupil_school: int,
) -> list[ledger.Event]:
    rng = random.Random(2022)
    events: list[ledger.Event] = []
    broken = iter(rng.sample(deployed_ipads, 215 + 219))
    spares = deque(ipad_spares)

    def cause(weights):
        return rng.choices([c for c, _w in weights], [w for _c, w in weights])[0]

    ipad_events = []
    for month, count in _months(IPAD_BREAKAGES):
        days = sorted(rng.randint(1, month.last_day().day) for _ in range(count))
        ipad_events += [(month.first_day().replace(day=d), ledger.Kind.BREAKAGE) for d in days]
    ipad_events.append((NEW_PUPIL_ISSUE[0], ledger.Kind.ISSUE))
    # Spares leave the pool in date order, the oldest stock first.
    for day, kind in sorted(ipad_events):
        spare = spares.popleft()
        if kind == ledger.Kind.ISSUE:
            events.append(ledger.Event(day, spare, kind, school=new_pupil_school))
        else:
            events.append(
                ledger.Event(day, next(broken), kind, spare_serial=spare, cause=cause(IPAD_CAUSES))
            )

    # Chromebooks: a swap from the pool, and the failed unit back in it ten days on.
    failing = iter(rng.sample(chromebooks, 2 + 24))
    pool = deque(chromebook_spares)
    returns: list[tuple[dt.date, str]] = []
    for month, count in _months(CHROMEBOOK_FAILURES):
        for d in sorted(rng.randint(1, 15) for _ in range(count)):
            day = month.first_day().replace(day=d)
            while returns and returns[0][0] <= day:
                pool.append(returns.pop(0)[1])
            unit = next(failing)
            events.append(
                ledger.Event(
                    day,
                    unit,
                    ledger.Kind.FAILURE,
                    spare_serial=pool.popleft(),
                    cause=cause(CHROMEBOOK_CAUSES),
                )
            )
            back = day + dt.timedelta(days=CHROMEBOOK_REPAIR_DAYS)
            events.append(ledger.Event(back, unit, ledger.Kind.REPAIR, note="保証修理"))
            returns.append((back, unit))
            returns.sort()
    return events
