"""Demo data for the support center (`manage.py load_demo`).

Ten support staff (the demo login `support` and nine more) and the leader, and FY2022
records generated so that the per-term counts are exactly the committee papers'
(online 5/10/4, visit 248/366/62, training 15/12/4; the third term was reported in
January 2023, so its records stop in mid-January). Records are spread over schools,
staff, topics and weekdays by a seeded random generator, so every run produces the
same log. A few open requests (some from school E001, the `school_a` login) and the
`support` login's visits of today make the request and logging pages worth opening.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random

from django.utils import timezone

from gigaportal.demo import user_create_demo
from gigaportal.models import School, User
from gigaportal.roles import Role
from gigaportal.selectors import terms_for_fiscal_year
from support.models import (
    Kind,
    RequestEvent,
    Status,
    SupportRecord,
    SupportRequest,
    Topic,
)

FISCAL_YEAR = 2022
SEED = 20230120
# The papers were written in January 2023: the third term is counted up to here.
REPORTED_UNTIL = dt.date(2023, 1, 13)

# (kind, term) → count, from the committee papers' table.
SEED_COUNTS: dict[tuple[str, int], int] = {
    (Kind.ONLINE, 1): 5,
    (Kind.ONLINE, 2): 10,
    (Kind.ONLINE, 3): 4,
    (Kind.VISIT, 1): 248,
    (Kind.VISIT, 2): 366,
    (Kind.VISIT, 3): 62,
    (Kind.TRAINING, 1): 15,
    (Kind.TRAINING, 2): 12,
    (Kind.TRAINING, 3): 4,
}

# The demo login `support` (佐藤 健, made by gigaportal.demo) is the first of ten.
EXTRA_STAFF: tuple[tuple[str, str], ...] = (
    ("suzuki", "鈴木 大輔"),
    ("watanabe", "渡辺 真一"),
    ("kobayashi", "小林 彩"),
    ("kato", "加藤 誠"),
    ("yoshida", "吉田 舞"),
    ("yamada", "山田 拓也"),
    ("sasaki", "佐々木 里奈"),
    ("yamaguchi", "山口 翔"),
    ("matsumoto", "松本 由美"),
)

# Topics by kind and term, as weights: distribution set-up early in the year, the
# health-observation form in the second term, updates around the summer.
TOPIC_WEIGHTS: dict[str, dict[str, tuple[int, int, int]]] = {
    Kind.VISIT: {
        "device-setup": (30, 8, 10),
        "lessons": (30, 40, 35),
        "classroom": (12, 18, 15),
        "faults": (15, 15, 15),
        "updates": (15, 10, 8),
        "health-form": (3, 12, 4),
        "other": (5, 5, 5),
    },
    Kind.ONLINE: {
        "classroom": (3, 3, 3),
        "health-form": (1, 3, 1),
        "faults": (2, 2, 2),
        "other": (2, 2, 2),
    },
    Kind.TRAINING: {
        "training-miraiseed": (5, 4, 3),
        "training-google": (5, 5, 3),
        "classroom": (1, 1, 1),
    },
}

WHAT_WAS_DONE: dict[str, tuple[str, ...]] = {
    Kind.VISIT: (
        "授業中の端末操作を支援しました。",
        "教員向けに操作方法を説明しました。",
        "不具合の端末を確認し、一次対応しました。",
        "設定変更とアップデートを行いました。",
        "配布前の端末設定を行い、配布時に説明しました。",
    ),
    Kind.ONLINE: (
        "オンラインで操作方法を案内しました。",
        "資料を作成して送付しました。",
    ),
    Kind.TRAINING: (
        "校内研修の講師を務めました。",
        "研修資料を準備し、演習を補助しました。",
    ),
}


def _weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def load(*, stdout) -> None:
    _ensure_topics()
    staff = _ensure_staff()
    leader = User.objects.filter(username="leader").first()
    created = 0
    first, last = dt.date(FISCAL_YEAR, 4, 1), dt.date(FISCAL_YEAR + 1, 3, 31)
    if not SupportRecord.objects.filter(date__gte=first, date__lte=last).exists():
        created = _create_records(staff=staff, leader=leader)
    requests = 0
    if not SupportRequest.objects.exists():
        requests = _create_requests(staff=staff, leader=leader)
    stdout.write(
        f"support: {len(staff)} staff, {created} FY{FISCAL_YEAR} records and "
        f"{requests} requests added"
    )


def _ensure_topics() -> None:
    """The papers' topics, as their migration adds them: a database emptied after it
    was migrated (a test's flush) has lost them, and the records draw on them."""
    from django.apps import apps

    migration = importlib.import_module("support.migrations.0002_default_topics")
    migration.add_topics(apps, None)


def _ensure_staff() -> list[User]:
    for username, full_name in EXTRA_STAFF:
        user_create_demo(username=username, full_name=full_name, role=Role.SUPPORT, school_id=None)
    usernames = ["support", *(u for u, _n in EXTRA_STAFF)]
    by_name = {u.username: u for u in User.objects.filter(username__in=usernames)}
    return [by_name[u] for u in usernames if u in by_name]


def _pick(rng: random.Random, weights: dict[str, tuple[int, int, int]], term: int) -> str:
    codes = list(weights)
    return rng.choices(codes, weights=[weights[c][term - 1] for c in codes])[0]


def _create_records(*, staff: list[User], leader: User | None) -> int:
    """1. For each (kind, term) cell, draw exactly the papers' number of weekdays.
    2. Give each record a school, staff, topics and a time, all from the seeded random.
    3. Write records and their links in three bulk inserts."""
    rng = random.Random(SEED)
    schools = list(School.objects.filter(is_active=True).order_by("code"))
    # Elementary schools are two thirds of the city's schools and get visited most.
    school_weights = [
        {"elementary": 3, "junior_high": 3, "special_needs": 2, "branch": 1, "high": 2}.get(
            s.kind, 1
        )
        for s in schools
    ]
    topics = dict(Topic.objects.values_list("code", "id"))
    terms = {t.number: t for t in terms_for_fiscal_year(FISCAL_YEAR)}
    author = leader or staff[0]
    plans = []
    for (kind, number), count in SEED_COUNTS.items():
        term = terms[number]
        days = _weekdays(term.start, min(term.end, REPORTED_UNTIL))
        for _i in range(count):
            day = rng.choice(days)
            school = rng.choices(schools, weights=school_weights)[0]
            people = [rng.choice(staff)]
            if kind == Kind.VISIT and rng.random() < 0.2:
                people.append(rng.choice([s for s in staff if s not in people]))
            if kind == Kind.TRAINING and leader and rng.random() < 0.5:
                people.append(leader)  # the leader supports in-school training
            weights = {c: w for c, w in TOPIC_WEIGHTS[kind].items() if c in topics}
            picked = {_pick(rng, weights, number)}
            if rng.random() < 0.25:
                picked.add(_pick(rng, weights, number))
            start = dt.time(rng.choice([9, 10, 11, 13, 14, 15]), rng.choice([0, 15, 30, 45]))
            plans.append(
                (
                    SupportRecord(
                        date=day,
                        start_time=start,
                        school=school,
                        kind=kind,
                        duration_minutes=rng.choice([30, 45, 60, 60, 90, 120]),
                        what_was_done=rng.choice(WHAT_WAS_DONE[kind]),
                        follow_up_needed=rng.random() < 0.08,
                        created_by=people[0] if kind != Kind.TRAINING else author,
                    ),
                    people,
                    [topics[c] for c in sorted(picked)],
                )
            )
    plans.sort(key=lambda p: (p[0].date, p[0].start_time))
    records = SupportRecord.objects.bulk_create([p[0] for p in plans], batch_size=1000)
    StaffLink = SupportRecord.staff.through
    TopicLink = SupportRecord.topics.through
    StaffLink.objects.bulk_create(
        [
            StaffLink(supportrecord_id=r.pk, user_id=u.pk)
            for r, (_rec, people, _t) in zip(records, plans, strict=True)
            for u in dict.fromkeys(people)
        ],
        batch_size=2000,
    )
    TopicLink.objects.bulk_create(
        [
            TopicLink(supportrecord_id=r.pk, topic_id=t)
            for r, (_rec, _p, topic_ids) in zip(records, plans, strict=True)
            for t in topic_ids
        ],
        batch_size=2000,
    )
    return len(records)


def _create_requests(*, staff: list[User], leader: User | None) -> int:
    """Open requests: two from E001 (school_a), one of them scheduled; others from
    elsewhere; and the `support` login's visits of today, to log from a phone."""
    schools = {
        s.code: s for s in School.objects.filter(code__in=["E001", "E005", "J003", "S001", "E012"])
    }
    school_users = {
        u.school_id: u for u in User.objects.filter(role=Role.SCHOOL, school__in=schools.values())
    }
    topics = {t.code: t for t in Topic.objects.all()}
    today = timezone.localdate()
    asker = leader or staff[0]
    rows = [
        # school, kind, topic, status, staff index or None, days from today, details,
        # days since the school asked
        (
            "E001",
            Kind.VISIT,
            "classroom",
            Status.REQUESTED,
            None,
            None,
            "6年生のGoogle Classroomのクラス作成を手伝ってください。",
            3,
        ),
        (
            "E001",
            Kind.TRAINING,
            "training-miraiseed",
            Status.SCHEDULED,
            1,
            7,
            "校内研修でミライシード(オクリンク)の使い方を教えてください。",
            12,
        ),
        (
            "J003",
            Kind.ONLINE,
            "health-form",
            Status.REQUESTED,
            None,
            None,
            "健康観察フォームの集計方法を教えてください。",
            9,
        ),
        ("S001", Kind.VISIT, "faults", Status.SCHEDULED, 0, 0, "起動しないiPadが3台あります。", 5),
        (
            "E005",
            Kind.VISIT,
            "updates",
            Status.SCHEDULED,
            0,
            0,
            "アップデート後に授業支援アプリが開きません。",
            2,
        ),
        (
            "E012",
            Kind.VISIT,
            "lessons",
            Status.REQUESTED,
            None,
            None,
            "3年生の授業で端末操作の支援をお願いします。",
            20,
        ),
    ]
    made = 0
    for code, kind, topic_code, status, staff_index, in_days, details, asked_ago in rows:
        school = schools.get(code)
        if school is None:
            continue
        requested_by = school_users.get(school.pk, asker)
        scheduled = today + dt.timedelta(days=in_days) if in_days is not None else None
        request = SupportRequest.objects.create(
            school=school,
            requested_by=requested_by,
            kind=kind,
            topic=topics.get(topic_code),
            preferred_date_1=today + dt.timedelta(days=7),
            preferred_date_2=today + dt.timedelta(days=9),
            details=details,
            status=status,
            scheduled_date=scheduled,
            scheduled_time=dt.time(10, 0) if scheduled else None,
            # Back-dated so the open-requests page shows how long each school waited.
            created_at=timezone.now() - dt.timedelta(days=asked_ago),
        )
        events = [RequestEvent(request=request, by=requested_by, to_status=Status.REQUESTED)]
        if status == Status.SCHEDULED:
            request.assigned_staff.set([staff[staff_index]])
            events.append(
                RequestEvent(
                    request=request,
                    by=asker,
                    from_status=Status.REQUESTED,
                    to_status=Status.SCHEDULED,
                )
            )
        events[0].at = request.created_at
        RequestEvent.objects.bulk_create(events)
        made += 1
    return made
