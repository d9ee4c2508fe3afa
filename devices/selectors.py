"""Reads for devices. Every selector takes the user and starts from the models' scope
(`Device.objects.for_user(user)`, `DeviceEvent.objects.for_user(user)`); the report
aggregates are a fixed number of grouped queries whatever the number of devices."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from devices import ledger
from devices.models import Device, DeviceEvent, DeviceModel, DevicesSettings
from gigaportal.calendar import Month, fiscal_months
from gigaportal.dates import months_in_window
from gigaportal.models import School

FAULTS = [ledger.Kind.BREAKAGE.value, ledger.Kind.FAILURE.value]
KIND_ORDER = {DeviceModel.Kind.IPAD: 0, DeviceModel.Kind.CHROMEBOOK: 1}


def device_list(
    *,
    user,
    school_id: int | None = None,
    model_id: int | None = None,
    status: str | None = None,
    query: str = "",
) -> QuerySet[Device]:
    """The user's devices; `query` finds a serial, an asset tag or a line number by any
    part of it."""
    devices = Device.objects.for_user(user).select_related("model", "school")
    if query:
        devices = devices.filter(
            Q(serial__icontains=query)
            | Q(asset_tag__icontains=query)
            | Q(line_number__contains=query)
        )
    if school_id:
        devices = devices.filter(school_id=school_id)
    if model_id:
        devices = devices.filter(model_id=model_id)
    if status:
        devices = devices.filter(status=status)
    return devices.order_by("serial")


def serials_for_lines(*, user, line_numbers) -> dict[str, str]:
    """Line number → serial of the device in use with that line (not retired), for the
    traffic app's MDM recipient lists. One query whatever the number of lines."""
    numbers = {n for n in line_numbers if n}
    if not numbers:
        return {}
    devices = Device.objects.for_user(user).filter(line_number__in=numbers)
    return dict(devices.exclude(status=Device.Status.RETIRED).values_list("line_number", "serial"))


def device_get(*, user, pk: int) -> Device:
    return Device.objects.for_user(user).select_related("model", "school").get_or_404(pk=pk)


def device_history(*, user, device: Device) -> QuerySet[DeviceEvent]:
    """The events the device took part in (its own, and those that issued it) that
    `user` may see: staff see every event; a school user only those at their school.
    A device moves between schools (broken at one, issued as a spare to another), so
    seeing the device today does not open what happened to it elsewhere."""
    return (
        DeviceEvent.objects.for_user(user)
        .filter(Q(device=device) | Q(spare=device))
        .select_related("device", "spare", "school", "recorded_by", "confirmed_by", "dismissed_by")
        .order_by("date", "id")
    )


def serial_suggestions(
    *, user, query: str, school_id: int | None = None, status: str | None = None, limit: int = 20
) -> list[dict]:
    devices = device_list(user=user, school_id=school_id, status=status)
    if query:
        devices = devices.filter(serial__istartswith=query)
    return [
        {"serial": serial, "model": model, "status": status_}
        for serial, model, status_ in devices.values_list("serial", "model__name", "status")[:limit]
    ]


def pending_faults(*, user) -> QuerySet[DeviceEvent]:
    """Schools' reports waiting for staff."""
    return (
        DeviceEvent.objects.for_user(user)
        .filter(confirmed=False, dismissed_at__isnull=True)
        .select_related("device__model", "school", "recorded_by")
        .order_by("date", "id")
    )


def device_models() -> list[DeviceModel]:
    return sorted(DeviceModel.objects.all(), key=lambda m: (KIND_ORDER.get(m.kind, 9), m.name))


def forecast_threshold_months() -> int:
    return DevicesSettings.load().forecast_threshold_months


# --- Report aggregates: grouped queries, then the pure ledger arithmetic -------------------


def _month(value) -> Month:
    return Month(value.year, value.month)


def _faults_between(user, start: Month, end: Month) -> QuerySet[DeviceEvent]:
    """Confirmed breakages and failures from the first day of `start` to the last day
    of `end`: what the committee counts as incidents."""
    return DeviceEvent.objects.for_user(user).filter(
        confirmed=True, kind__in=FAULTS, date__gte=start.first_day(), date__lte=end.last_day()
    )


def _incidents_by_model_month(user, start: Month, end: Month) -> dict[tuple[int, Month], int]:
    rows = (
        _faults_between(user, start, end)
        .annotate(month=TruncMonth("date"))
        .values("device__model_id", "month")
        .annotate(n=Count("id"))
    )
    return {(r["device__model_id"], _month(r["month"])): r["n"] for r in rows}


def _spare_deltas_by_model_month(since: Month | None = None) -> dict[tuple[int, Month], int]:
    # The spare stock is the center's, whoever reads it: a school user's scope would
    # drop the events at other schools and get the stock wrong (the reports that show
    # it are the center staff's: devices/reports.py).
    events = DeviceEvent.objects.filter(confirmed=True).exclude(spare_delta=0)
    if since is not None:
        events = events.filter(date__gte=since.first_day())
    rows = (
        events.annotate(month=TruncMonth("date"))
        .values("device__model_id", "month")
        .annotate(delta=Sum("spare_delta"))
    )
    return {(r["device__model_id"], _month(r["month"])): r["delta"] for r in rows}


def _current_spares() -> dict[int, int]:
    rows = (
        Device.objects.filter(status=Device.Status.SPARE).values("model_id").annotate(n=Count("id"))
    )
    return {r["model_id"]: r["n"] for r in rows}


@dataclass(frozen=True)
class BreakageFigures:
    models: list[DeviceModel]
    rows: list[ledger.MonthFigures]

    def model_name(self, model_id) -> str:
        return next(m.name for m in self.models if m.pk == model_id)


def breakage_figures(*, user, start: Month, end: Month) -> BreakageFigures:
    """Per model and month: incidents and spares at the month's end (four queries)."""
    models = device_models()
    rows = ledger.breakage_table(
        models=[m.pk for m in models],
        start=start,
        end=end,
        incidents=_incidents_by_model_month(user, start, end),
        current_spares=_current_spares(),
        spare_deltas=_spare_deltas_by_model_month(since=start),
    )
    return BreakageFigures(models, rows)


def fiscal_year_incident_totals(*, user, year: int) -> dict[int, int]:
    months = fiscal_months(year)
    rows = (
        DeviceEvent.objects.for_user(user)
        .filter(
            confirmed=True,
            kind__in=FAULTS,
            date__gte=months[0].first_day(),
            date__lte=months[-1].last_day(),
        )
        .values("device__model_id")
        .annotate(n=Count("id"))
    )
    return {r["device__model_id"]: r["n"] for r in rows}


def latest_event_month() -> Month | None:
    latest = DeviceEvent.objects.filter(confirmed=True).aggregate(d=Max("date"))["d"]
    return Month.of(latest) if latest else None


def event_months(*, user) -> list[Month]:
    """The months with confirmed events, oldest first (the reports' periods)."""
    days = DeviceEvent.objects.for_user(user).filter(confirmed=True).dates("date", "month")
    return months_in_window(days)


def fiscal_year_end_shown(year: int) -> Month:
    """The fiscal year's table runs to its last month with records (the committee
    reports the months that have passed), and to March for a finished year with none."""
    months = fiscal_months(year)
    latest = latest_event_month()
    if latest is None or latest >= months[-1] or latest < months[0]:
        return months[-1]
    return latest


@dataclass(frozen=True)
class RateRow:
    school_code: str
    school_name: str
    model_name: str
    deployed: int
    incidents: int


def school_model_rates(*, user, start: Month, end: Month) -> list[RateRow]:
    """Incidents in the period and devices deployed now, by school and model (two
    grouped queries and the names)."""
    deployed = Counter(
        {
            (r["school_id"], r["model_id"]): r["n"]
            for r in Device.objects.for_user(user)
            .filter(status=Device.Status.DEPLOYED)
            .values("school_id", "model_id")
            .annotate(n=Count("id"))
        }
    )
    incidents = Counter(
        {
            (r["school_id"], r["device__model_id"]): r["n"]
            for r in _faults_between(user, start, end)
            .values("school_id", "device__model_id")
            .annotate(n=Count("id"))
        }
    )
    schools = dict(School.objects.for_user(user).values_list("pk", "code"))
    school_names = dict(School.objects.for_user(user).values_list("pk", "name"))
    models = {m.pk: m.name for m in DeviceModel.objects.all()}
    keys = sorted(
        set(deployed) | set(incidents),
        key=lambda k: (schools.get(k[0], ""), models.get(k[1], "")),
    )
    return [
        RateRow(
            schools.get(school_id, ""),
            school_names.get(school_id, ""),
            models.get(model_id, ""),
            deployed[(school_id, model_id)],
            incidents[(school_id, model_id)],
        )
        for school_id, model_id in keys
        if school_id is not None
    ]


def causes_by_month(*, user, start: Month, end: Month) -> dict[tuple[Month, str], int]:
    rows = (
        _faults_between(user, start, end)
        .annotate(month=TruncMonth("date"))
        .values("month", "cause")
        .annotate(n=Count("id"))
    )
    return {(_month(r["month"]), r["cause"]): r["n"] for r in rows}


@dataclass(frozen=True)
class ModelForecast:
    model: DeviceModel
    forecast: ledger.Forecast


def forecasts(*, user, as_of: Month | None = None) -> list[ModelForecast]:
    """Per model, at the trailing six-month rate up to `as_of` (default: the latest
    month with records): months of spares left and the month they run out."""
    as_of = as_of or latest_event_month()
    if as_of is None:
        return []
    start = as_of.add(-(ledger.TRAILING_MONTHS - 1))
    figures = breakage_figures(user=user, start=start, end=as_of)
    deltas = _spare_deltas_by_model_month(since=start)
    threshold = forecast_threshold_months()
    months = [start.add(i) for i in range(ledger.TRAILING_MONTHS)]
    result = []
    for model in figures.models:
        spares = next(
            r.spares_remaining for r in figures.rows if r.model == model.pk and r.month == as_of
        )
        result.append(
            ModelForecast(
                model,
                ledger.forecast(
                    model=model.pk,
                    as_of=as_of,
                    spares=spares,
                    consumption=ledger.monthly_consumption(
                        model=model.pk, months=months, spare_deltas=deltas
                    ),
                    threshold_months=threshold,
                ),
            )
        )
    return result


def school_device_counts(*, user, school) -> dict:
    """A school's devices by status and its reports waiting for staff (two queries)."""
    by_status = dict(
        Device.objects.for_user(user)
        .filter(school=school)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    events = DeviceEvent.objects.for_user(user).filter(school=school)
    counts = events.aggregate(
        events=Count("id", filter=Q(confirmed=True)),
        pending=Count("id", filter=Q(confirmed=False, dismissed_at__isnull=True)),
    )
    return {"devices": sum(by_status.values()), "by_status": by_status, **counts}
