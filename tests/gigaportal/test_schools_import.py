"""Importing schools: `manage.py import_schools FILE` and the leader's upload page.

A good file creates or updates schools by code; a bad file gets every row-numbered
error (in Japanese in the browser) and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from gigaportal.models import ImportBatch, School
from gigaportal.tabular import TabularError
from tests.factories import make_school

ROOT = Path(__file__).resolve().parents[2]

GOOD = (
    "学校コード,学校名,校種,メール\n"
    "E101,青葉小学校,小学校,aoba@schools.example.jp\n"
    "J101,第一中学校,中学校,\n"
    "S101,第一特別支援学校,特別支援学校,s101@schools.example.jp\n"
    "S102,第一特別支援学校 北分校,分校,\n"
    "H101,市立高等学校,高等学校,h101@schools.example.jp\n"
)

BAD_FILES = {
    "latin-1": "school_code,name,kind\nE101,Café,elementary\n".encode("latin-1"),
    "missing column": "学校コード,学校名\nE101,青葉小学校\n".encode(),
    "duplicate code": "学校コード,学校名,校種\nE101,青葉小学校,小学校\nE101,旭小学校,小学校\n".encode(
        "cp932"
    ),
    "empty": b"",
    "unknown kind": "学校コード,学校名,校種\nE101,青葉小学校,小学校\nU001,市立大学,大学\n".encode(),
    "bad e-mail": "学校コード,学校名,校種,メール\nE101,青葉小学校,小学校,aoba-at-example\n".encode(),
    "code too long": f"学校コード,学校名,校種\n{'E' * 21},青葉小学校,小学校\n".encode(),
}

# What each bad file is told (English msgids; the page checks the Japanese).
EXPECTED_ERRORS = {
    "latin-1": [
        "The file's character encoding is not UTF-8 or Shift_JIS (CP932). Save it as CSV in "
        "one of those and try again."
    ],
    "missing column": ["Row 1, column 校種: the column is missing (expected one of: kind / 校種)"],
    "duplicate code": ["Row 3, column 学校コード: E101 appears again (first on row 2)"],
    "empty": ["The file is empty."],
    "unknown kind": [
        "Row 3, column 校種: '大学' is not one of: 小学校 / elementary / 中学校 / junior_high / "
        "特別支援学校 / special_needs / 分校 / branch / 高等学校 / 高校 / high"
    ],
    "bad e-mail": ["Row 2, column メール: 'aoba-at-example' is not an e-mail address"],
    "code too long": ["Row 2, column 学校コード: at most 20 characters (this cell has 21)"],
}


def snapshot():
    return list(School.objects.order_by("code").values_list("code", "name", "kind", "email"))


def write(tmp_path, data: bytes, name="schools.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def existing_school(db):
    return make_school(code="E101", name="旧青葉小学校", kind=School.Kind.ELEMENTARY, email="")


# --- The command -------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_schools_of_every_kind_from_a_japanese_csv(tmp_path, capsys):
    with translation.override("en"):  # the command speaks the active language
        call_command("import_schools", write(tmp_path, GOOD.encode("cp932")))
    assert snapshot() == [
        ("E101", "青葉小学校", "elementary", "aoba@schools.example.jp"),
        ("H101", "市立高等学校", "high", "h101@schools.example.jp"),
        ("J101", "第一中学校", "junior_high", ""),
        ("S101", "第一特別支援学校", "special_needs", "s101@schools.example.jp"),
        ("S102", "第一特別支援学校 北分校", "branch", ""),
    ]
    assert "5 schools created, 0 updated" in capsys.readouterr().out


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path, capsys):
    path = write(tmp_path, GOOD.encode())
    call_command("import_schools", path)
    first = snapshot()
    ids = dict(School.objects.values_list("code", "id"))
    # A school edited since the import keeps its edit: the same file again is a no-op,
    # not a re-application that would undo it.
    School.objects.filter(code="J101").update(email="j101@schools.example.jp")
    capsys.readouterr()
    with translation.override("en"):
        call_command("import_schools", path)
    out = capsys.readouterr().out
    assert "This file was already imported on " in out
    assert "nothing was changed." in out
    assert snapshot() == [
        row if row[0] != "J101" else (*row[:3], "j101@schools.example.jp") for row in first
    ]
    assert dict(School.objects.values_list("code", "id")) == ids


@pytest.mark.django_db
def test_a_changed_file_updates_by_code_instead_of_duplicating(tmp_path, capsys):
    call_command("import_schools", write(tmp_path, GOOD.encode()))
    ids = dict(School.objects.values_list("code", "id"))
    capsys.readouterr()
    changed = GOOD.replace("市立高等学校", "市立南高等学校")
    with translation.override("en"):
        call_command("import_schools", write(tmp_path, changed.encode("cp932"), name="v2.csv"))
    assert "0 schools created, 5 updated" in capsys.readouterr().out
    assert dict(School.objects.values_list("code", "id")) == ids
    assert School.objects.get(code="H101").name == "市立南高等学校"


@pytest.mark.django_db
def test_it_updates_an_existing_school_by_code(tmp_path, existing_school):
    call_command("import_schools", write(tmp_path, GOOD.encode()))
    existing_school.refresh_from_db()
    assert existing_school.name == "青葉小学校"
    assert existing_school.email == "aoba@schools.example.jp"
    assert School.objects.filter(code="E101").count() == 1


@pytest.mark.django_db
def test_it_accepts_english_headers_and_kinds():
    from io import BytesIO

    from gigaportal.services import school_import

    result = school_import(
        file=BytesIO(b"school_code,name,kind,email\nX1,North,junior_high,x1@example.jp\n")
    )
    assert (result.created, result.updated) == (1, 0)
    assert School.objects.get(code="X1").kind == School.Kind.JUNIOR_HIGH


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_whole_with_row_numbered_errors(tmp_path, existing_school, case):
    before = snapshot()
    with translation.override("en"), pytest.raises(CommandError) as excinfo:
        call_command("import_schools", write(tmp_path, BAD_FILES[case]))
    lines = str(excinfo.value).splitlines()
    assert lines[0].endswith("schools.csv: not imported, nothing changed.")
    assert lines[1:] == EXPECTED_ERRORS[case]
    assert snapshot() == before


@pytest.mark.django_db
def test_every_bad_row_is_reported_not_only_the_first(tmp_path):
    data = (
        "学校コード,学校名,校種\n"
        "E101,,小学校\n"  # no name
        "E102,旭小学校,大学\n"  # unknown kind
        ",泉小学校,小学校\n"  # no code
        "E104,朝日小学校,小学校\n"  # good, but the file is refused
    ).encode()
    with translation.override("en"), pytest.raises(CommandError) as excinfo:
        call_command("import_schools", write(tmp_path, data))
    lines = str(excinfo.value).splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == [
        "Row 2, column 学校名",
        "Row 3, column 校種",
        "Row 4, column 学校コード",
    ]
    assert not School.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="no-such.csv: no such file"):
        call_command("import_schools", "no-such.csv")


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_and_prints_the_errors(tmp_path):
    """Run as a real process against the test database, as an operator would."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db["ENGINE"] != "django.db.backends.postgresql":
        # SQLite's test database lives in this process's memory; the refused file is
        # never written, so the subprocess may use a database file of its own.
        url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false"}
    env.setdefault("SECRET_KEY", "test-only-not-secret")
    if db["ENGINE"] != "django.db.backends.postgresql":
        # The refused file's batch is recorded (as failed), so the tables must exist.
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_schools",
            write(tmp_path, BAD_FILES["duplicate code"]),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "not imported, nothing changed" in result.stderr
    assert "E101" in result.stderr
    assert not School.objects.exists()


# --- The upload page ---------------------------------------------------------------------


def upload(client, data: bytes, name="schools.csv", **headers):
    return client.post(
        reverse("schools:import"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        headers={"accept-language": "ja", **headers},
    )


def test_the_upload_page_is_for_the_leader_and_admin_only(client, cast):
    for who, status in [
        ("support_staff", 403),
        ("school_a_user", 403),
        ("leader", 200),
        ("admin", 200),
    ]:
        client.force_login(cast[who])
        assert client.get(reverse("schools:import")).status_code == status, who
        client.logout()
    response = client.get(reverse("schools:import"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_school_user_cannot_import_by_posting_directly(client, school_a_user):
    client.force_login(school_a_user)
    before = snapshot()
    assert upload(client, GOOD.encode()).status_code == 403
    assert snapshot() == before


def test_the_leader_imports_a_cp932_file_and_is_sent_to_the_list(client, leader):
    client.force_login(leader)
    response = upload(client, GOOD.encode("cp932"))
    assert response.status_code == 302
    assert response.url == reverse("schools:list")
    assert [code for code, *_ in snapshot()] == ["E101", "H101", "J101", "S101", "S102"]
    page = client.get(response.url, headers={"accept-language": "ja"}).content.decode()
    with translation.override("ja"):
        from django.utils.translation import gettext

        message = gettext("%(created)s schools created, %(updated)s updated.") % {
            "created": 5,
            "updated": 0,
        }
    assert message in page
    assert message != "5 schools created, 0 updated.", "the page must be in Japanese"


@pytest.mark.parametrize("case", sorted(set(BAD_FILES) - {"empty"}))
def test_a_bad_upload_shows_every_error_in_japanese_and_changes_nothing(
    client, leader, existing_school, case
):
    client.force_login(leader)
    before = snapshot()
    response = upload(client, BAD_FILES[case])
    assert response.status_code == 400
    assert snapshot() == before
    page = response.content.decode()
    shown = response.context["errors"]
    with translation.override("ja"):
        expected = _messages_for(case)
    assert shown == expected
    for message in expected:
        assert _escaped(message) in page
    with translation.override("en"):
        english = _messages_for(case)
    assert expected != english, "the ja catalogue must translate the import errors"
    assert '<html lang="ja"' in page


def test_an_empty_upload_is_refused_by_the_form_in_japanese(client, leader):
    client.force_login(leader)
    response = upload(client, b"")
    assert response.status_code == 400
    assert not response.context["errors"]
    assert response.context["form"].errors["file"]
    assert '<html lang="ja"' in response.content.decode()
    assert not School.objects.exists()


def _messages_for(case: str) -> list[str]:
    """The messages the service gives for a bad file, in the active language."""
    from io import BytesIO

    from gigaportal.services import school_import

    try:
        school_import(file=BytesIO(BAD_FILES[case]))
    except TabularError as exc:
        return exc.messages()
    raise AssertionError(f"{case} was accepted")


def _escaped(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


@pytest.mark.usefixtures("eager_tasks")
def test_a_large_upload_streamed_to_disk_is_read_to_its_last_row(
    client, leader, settings, tmp_path, django_capture_on_commit_callbacks
):
    # Past FILE_UPLOAD_MAX_MEMORY_SIZE Django hands the view a temporary file on disk,
    # and the page hands it to a worker (here run in-process once the upload commits).
    settings.MEDIA_ROOT = tmp_path
    rows = "".join(f"E{n:06d},学校{n},小学校\n" for n in range(120_000))
    data = ("学校コード,学校名,校種\n" + rows + "X1,最後の学校,大学\n").encode("cp932")
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(leader)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        response = upload(client, data, **{"accept-language": "en"})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert response.url == reverse("imports:detail", args=[batch.pk])
    assert batch.status == ImportBatch.Status.FAILED
    assert len(batch.errors) == 1
    assert batch.errors[0].startswith("Row 120002, column 校種:")
    assert not School.objects.exists()
    page = client.get(response.url, headers={"accept-language": "en"}).content.decode()
    assert "Row 120002, column 校種:" in page
