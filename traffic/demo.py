"""Demo usage for January–December 2022 that reproduces section 3 of the seed exactly.

- 24,933 lines (from May: 24,888) at the elementary, junior-high and special-needs
  schools (the high school's Chromebooks have no cellular line). Every line has a
  row every month, so `lines` and the pooled capacity come out as in the papers.
- Each month's total is the seed's figure to the hundredth of a GB: heavy lines get
  the values designed below, and the rest is spread over ordinary lines (seeded
  random weights, never 100 GB or more) by integer hundredths, so nothing rounds.
- With the policy from 2022-09 the designed heavy lines give the seed's cohort flow
  (16 → 11 → 3 → 2, and the rest), including lines that improved and relapsed.

The rows go in through the import's own staging path, then September to December are
evaluated by the real service. The 2022 actions are marked as sent long ago.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

from gigaportal.calendar import Month, month_range
from gigaportal.models import School
from gigaportal.outbox import State
from gigaportal.scope import COMMAND_LINE
from traffic import services
from traffic.models import Action, MonthlyUsage, Policy

YEAR = 2022
MONTHS = list(month_range(Month(YEAR, 1), Month(YEAR, 12)))
LINES_BEFORE_MAY = 24_933
LINES_FROM_MAY = 24_888
POLICY_FROM = Month(YEAR, 9)
SEED = 20220901

# The seed's monthly totals in GB.
MONTHLY_GB = {
    Month(YEAR, 1): 57_563,
    Month(YEAR, 2): 62_360,
    Month(YEAR, 3): 55_760,
    Month(YEAR, 4): 53_018,
    Month(YEAR, 5): 60_931,
    Month(YEAR, 6): 64_119,
    Month(YEAR, 7): 62_209,
    Month(YEAR, 8): 45_761,
    Month(YEAR, 9): 68_216,
    Month(YEAR, 10): 66_144,
    Month(YEAR, 11): 64_107,
    Month(YEAR, 12): 65_752,
}

# Heavy lines: (name, school code, GB in Aug, Sep, Oct, Nov, Dec). The comments say what
# the ladder makes of them; the thresholds are 200 GB in a month, or 100 GB two months
# running, both inclusive.
H = Decimal
HEAVY: tuple[tuple[str, str, tuple[Decimal, ...]], ...] = (
    # September cohort (16). ① Sep → ② Oct (11) → ③ Nov (3) → ④ Dec (2).
    ("S01", "E001", (H(120), H(150), H(210), H(130), H(250))),  # 100+100 rule in Sep; ④ Dec
    ("S02", "J001", (H(40), H(260), H(180), H(220), H(140))),  # ④ Dec
    ("S03", "E002", (H(30), H(230), H(240), H(205), H(60))),  # improved Dec
    ("S04", "E003", (H(20), H(205), H(120), H(45), H(215))),  # improved Nov, relapses Dec
    ("S05", "E004", (H(110), H(105), H(100), H(40), H(25))),  # improved Nov
    ("S06", "E005", (H(15), H(300), H(199.99), H(99.99), H(30))),  # improved Nov
    ("S07", "J002", (H(25), H(200), H(200), H(20), H(18))),  # improved Nov
    ("S08", "J003", (H(35), H(245), H(101), H(12), H(22))),  # improved Nov
    ("S09", "E006", (H(20), H(212), H(230), H(50), H(40))),  # improved Nov
    ("S10", "S001", (H(130), H(140), H(160), H(30), H(35))),  # improved Nov
    ("S11", "E007", (H(22), H(270), H(205), H(10), H(11))),  # improved Nov
    ("S12", "E008", (H(18), H(220), H(40), H(230), H(120))),  # improved Oct; relapse Nov, ② Dec
    ("S13", "J004", (H(28), H(215), H(30), H(240), H(20))),  # improved Oct; relapse Nov
    ("S14", "E009", (H(100), H(100), H(99.99), H(30), H(25))),  # improved Oct
    ("S15", "E010", (H(12), H(201), H(35), H(28), H(30))),  # improved Oct
    ("S16", "J005", (H(30), H(208), H(15), H(20), H(16))),  # improved Oct
    # October cohort (5): ① Oct → ② Nov (4) → ③ Dec (2).
    ("O01", "E001", (H(50), H(150), H(160), H(170), H(180))),  # Sep alone not enough
    ("O02", "E011", (H(10), H(30), H(300), H(100), H(100))),
    ("O03", "J001", (H(20), H(20), H(200), H(199.99), H(99.99))),  # improved Dec
    ("O04", "E012", (H(20), H(60), H(250), H(210), H(50))),  # improved Dec
    ("O05", "S002", (H(30), H(40), H(220), H(99), H(30))),  # improved Nov
    # November cohort (18, with S12 and S13 relapsing): ② Dec (5), improved 13.
    *(
        (f"N{n:02d}", code, (H(20), H(25), H(60), H(nov), H(dec)))
        for n, (code, nov, dec) in enumerate(
            [
                ("E001", 240, 110),
                ("J001", 205, 205),
                ("E013", 200, 100),
                ("J006", 260, 150),
                ("E014", 210, 40),
                ("E015", 230, 99.99),
                ("J007", 250, 30),
                ("E016", 220, 20),
                ("E017", 300, 15),
                ("S003", 205, 60),
                ("E018", 215, 45),
                ("J008", 225, 12),
                ("E019", 235, 33),
                ("E020", 245, 27),
                ("J009", 202, 50),
                ("E021", 207, 70),
            ],
            start=1,
        )
    ),
    # December cohort (14, with S04 relapsing).
    *(
        (f"D{n:02d}", code, (H(20), H(22), H(30), H(nov), H(dec)))
        for n, (code, nov, dec) in enumerate(
            [
                ("E001", 40, 230),
                ("J001", 150, 150),  # 100+100 rule; November alone was not enough
                ("E022", 30, 200),
                ("E023", 35, 260),
                ("J010", 120, 100),
                ("E024", 25, 310),
                ("E025", 45, 205),
                ("J011", 20, 240),
                ("E026", 60, 220),
                ("S004", 110, 130),
                ("E027", 15, 280),
                ("J012", 50, 215),
                ("E028", 70, 209),
            ],
            start=1,
        )
    ),
)
HEAVY_MONTHS = list(month_range(Month(YEAR, 8), Month(YEAR, 12)))


def line_number(index: int) -> str:
    return f"070-{1000 + index // 10_000:04d}-{index % 10_000:04d}"


def demo_lines(school_codes: list[str]) -> list[tuple[str, str]]:
    """(line number, school code) for 24,933 lines; each school's lines are contiguous."""
    sizes = {}
    for i, code in enumerate(school_codes):
        base = {"E": 370, "J": 380, "S": 170}[code[0]]
        sizes[code] = base + (i * 37) % 23 - 11
    sizes[school_codes[-1]] += LINES_BEFORE_MAY - sum(sizes.values())
    lines = []
    for code in school_codes:
        lines.extend((line_number(len(lines)), code) for _ in range(sizes[code]))
    return lines


def usage_rows(school_codes: list[str]) -> Iterator[tuple[str, dt.date, Decimal, str]]:
    """(line, month, usage MB, school code) for every line and month of 2022."""
    lines = demo_lines(school_codes)
    # The first line of each school holds a heavy pattern where the table puts one.
    first_free: dict[str, int] = {}
    for index, (_number, code) in enumerate(lines):
        first_free.setdefault(code, index)
    heavy_index: dict[int, tuple[Decimal, ...]] = {}
    for _name, code, values in HEAVY:
        index = first_free[code]
        first_free[code] += 1
        heavy_index[index] = values
    # 45 lines end in April (pupils who left); never a heavy line.
    leaving = set(range(len(lines) - 1, -1, -(len(lines) // 45)))
    leaving = set(sorted(leaving - set(heavy_index))[: LINES_BEFORE_MAY - LINES_FROM_MAY])
    assert len(leaving) == LINES_BEFORE_MAY - LINES_FROM_MAY
    rng = random.Random(SEED)
    for month in MONTHS:
        active = [i for i in range(len(lines)) if month < Month(YEAR, 5) or i not in leaving]
        fixed: dict[int, int] = {}  # hundredths of a GB
        if month in HEAVY_MONTHS:
            position = HEAVY_MONTHS.index(month)
            fixed = {i: int(values[position] * 100) for i, values in heavy_index.items()}
        free = [i for i in active if i not in fixed]
        remaining = MONTHLY_GB[month] * 100 - sum(fixed.values())
        weights = [min(rng.lognormvariate(0, 1.0), 30.0) for _ in free]
        scale = remaining / sum(weights)
        cents = [int(w * scale) for w in weights]
        for k in range(remaining - sum(cents)):
            cents[k % len(cents)] += 1
        values = dict(zip(free, cents, strict=True)) | fixed
        day = month.first_day()
        for i in active:
            number, code = lines[i]
            # Hundredths of a GB times 10.24 is exact in MB with two decimals.
            yield number, day, Decimal(values[i]) * Decimal("10.24"), code


def load(*, stdout) -> None:
    codes = list(
        School.objects.filter(
            code__regex=r"^[EJS]\d{3}$",
            kind__in=[
                School.Kind.ELEMENTARY,
                School.Kind.JUNIOR_HIGH,
                School.Kind.SPECIAL_NEEDS,
                School.Kind.BRANCH,
            ],
        )
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not MonthlyUsage.objects.filter(month=MONTHS[0].first_day()).exists():
        result = services.usage_load_rows(rows=usage_rows(codes))
        stdout.write(
            f"traffic: {result.created} usage rows for 2022, "
            f"{result.details['lines_created']} lines"
        )
    if not Policy.objects.exists():
        services.policy_set(
            by=COMMAND_LINE, effective_from=POLICY_FROM, note="教育委員会 通信量対策（2022年9月〜）"
        )
    results = services.evaluate_pending_months(by=COMMAND_LINE)
    past = Action.objects.filter(backend="", month__lt=dt.date(YEAR + 1, 1, 1), state=State.PENDING)
    for month in {Month.of(day) for day in past.values_list("month", flat=True)}:
        sent = timezone.make_aware(
            dt.datetime.combine(month.next().first_day() + dt.timedelta(days=9), dt.time(10))
        )
        services.demo_mark_delivered(
            action_ids=past.filter(month=month.first_day()).values_list("id", flat=True), when=sent
        )
    if results:
        stdout.write("traffic: evaluated " + ", ".join(str(r.month) for r in results))
