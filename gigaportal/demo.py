"""Demo schools and accounts (`manage.py load_demo`).

70 schools of the kinds in the committee papers: 46 elementary, 19 junior high, two
special-needs schools with two branch schools, and the one city high school. One
login per role; the school logins belong to two different schools.
"""

from __future__ import annotations

from gigaportal.models import School, User
from gigaportal.roles import Role
from gigaportal.services import user_role_flags

DEMO_PASSWORD = "giga-demo-2022"
EMAIL_DOMAIN = "example.jp"

ELEMENTARY_NAMES = [
    "青葉",
    "旭",
    "朝日",
    "泉",
    "桜丘",
    "若葉",
    "緑町",
    "日向",
    "松原",
    "竹園",
    "梅田",
    "山手",
    "川辺",
    "海浜",
    "港",
    "中央",
    "本町",
    "栄",
    "錦",
    "東",
    "西",
    "南",
    "北",
    "上野",
    "高台",
    "富士見",
    "見晴",
    "希望ヶ丘",
    "光",
    "星野",
    "月見",
    "花園",
    "柳町",
    "杉並",
    "桂",
    "楓",
    "欅",
    "白樺",
    "駒場",
    "鶴見",
    "亀山",
    "鷹の台",
    "白鳥",
    "菖蒲",
    "若松",
    "千鳥",
]
JUNIOR_HIGH_NAMES = [
    "第一",
    "第二",
    "第三",
    "第四",
    "第五",
    "青葉",
    "旭",
    "桜丘",
    "中央",
    "東",
    "西",
    "南",
    "北",
    "富士見",
    "希望ヶ丘",
    "白樺",
    "鶴見",
    "港",
    "山手",
]

# (code, name, kind) for every demo school; codes sort in the order the papers list kinds.
DEMO_SCHOOLS: tuple[tuple[str, str, str], ...] = (
    *(
        (f"E{i:03d}", f"{name}小学校", School.Kind.ELEMENTARY)
        for i, name in enumerate(ELEMENTARY_NAMES, 1)
    ),
    *(
        (f"J{i:03d}", f"{name}中学校", School.Kind.JUNIOR_HIGH)
        for i, name in enumerate(JUNIOR_HIGH_NAMES, 1)
    ),
    ("S001", "市立第一特別支援学校", School.Kind.SPECIAL_NEEDS),
    ("S002", "市立第二特別支援学校", School.Kind.SPECIAL_NEEDS),
    ("S003", "市立第一特別支援学校 北分校", School.Kind.BRANCH),
    ("S004", "市立第二特別支援学校 南分校", School.Kind.BRANCH),
    ("H001", "市立高等学校", School.Kind.HIGH),
)
assert len(DEMO_SCHOOLS) == 70, len(DEMO_SCHOOLS)

SCHOOL_A_CODE = "E001"
SCHOOL_B_CODE = "J001"

# username, full name, role, school code
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("support", "佐藤 健", Role.SUPPORT, None),
    ("leader", "高橋 美咲", Role.LEADER, None),
    ("school_a", "青葉小 ICT担当 田中", Role.SCHOOL, SCHOOL_A_CODE),
    ("school_b", "第一中 ICT担当 伊藤", Role.SCHOOL, SCHOOL_B_CODE),
    ("admin", "管理者 山本", Role.ADMIN, None),
)


class DemoRefused(Exception):
    """The database holds schools that are not the demo's: demo data would mix with
    them (and the demo logins would reach real schools)."""


def demo_check() -> None:
    """Refuses a database whose schools are not the demo's, before anything is written."""
    demo = {code: name for code, name, _kind in DEMO_SCHOOLS}
    foreign = [
        code for code, name in School.objects.values_list("code", "name") if demo.get(code) != name
    ]
    if foreign:
        shown = ", ".join(sorted(foreign)[:5]) + (" …" if len(foreign) > 5 else "")
        raise DemoRefused(
            f"This database already has {len(foreign)} school(s) that are not the demo's "
            f"({shown}). The demo adds 70 schools, their devices, usage and records, and "
            "logins with a published password: load it into an empty database instead "
            "(for example DATABASE_URL=sqlite:///demo.sqlite3)."
        )


# Principals' names for the parents' letter: a surname and a given name, in turn.
SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
]
GIVEN_NAMES = [
    "誠",
    "恵子",
    "浩",
    "直子",
    "隆",
    "裕子",
    "修",
    "幸子",
    "博",
    "明美",
    "健一",
    "久美子",
    "正人",
]


def principal_name(index: int) -> str:
    return f"{SURNAMES[index % len(SURNAMES)]} {GIVEN_NAMES[(index * 7) % len(GIVEN_NAMES)]}"


def load(*, stdout) -> None:
    existing = set(School.objects.values_list("code", flat=True))
    School.objects.bulk_create(
        [
            School(
                code=code,
                name=name,
                kind=kind,
                email=f"{code.lower()}@schools.{EMAIL_DOMAIN}",
                principal_name=principal_name(index),
            )
            for index, (code, name, kind) in enumerate(DEMO_SCHOOLS)
            if code not in existing
        ]
    )
    schools = dict(School.objects.values_list("code", "id"))
    for username, full_name, role, school_code in DEMO_USERS:
        user_create_demo(
            username=username,
            full_name=full_name,
            role=role,
            school_id=schools[school_code] if school_code else None,
        )
    stdout.write(f"schools: {School.objects.count()}, users: {User.objects.count()}")


def user_create_demo(*, username: str, full_name: str, role: str, school_id: int | None) -> User:
    """Creates a demo login once; a second run leaves it (and its password) alone."""
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "full_name": full_name,
            "role": role,
            "school_id": school_id,
            "email": f"{username}@center.{EMAIL_DOMAIN}",
            **user_role_flags(role),
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def print_logins(*, stdout) -> None:
    stdout.write("")
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, full_name, role, school_code in DEMO_USERS:
        where = f" @ {school_code}" if school_code else ""
        stdout.write(f"  {username:<10} {Role(role).label}{where}  ({full_name})")
