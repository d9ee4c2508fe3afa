"""`manage.py import_users FILE`: accounts provisioned in bulk each April, created or
updated by username; new users choose their password through an e-mailed link, and no
password is ever read, stored or printed."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import RequestFactory, TestCase
from django.utils import translation

from gigaportal import changelog, imports
from gigaportal.changelog import Action
from gigaportal.models import ImportBatch, ObjectChange, User
from gigaportal.roles import Role
from gigaportal.scope import COMMAND_LINE
from tests.factories import make_school, make_user

NEW_PASSWORD = "Aoba-Ict-2023-spring"


@pytest.fixture
def schools(db):
    return {
        "E001": make_school(code="E001", name="青葉小学校"),
        "J001": make_school(code="J001", name="第一中学校"),
    }


def write(tmp_path, text: str, encoding="utf-8") -> str:
    path = tmp_path / "users.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def run(path: str, capsys, *args: str) -> tuple[str, str]:
    # The set-password links go once the import has committed (they must point at
    # accounts that exist): run the test transaction's on-commit callbacks.
    # The messages checked are the English msgids.
    with translation.override("en"), TestCase.captureOnCommitCallbacks(execute=True):
        call_command("import_users", path, *args)
    captured = capsys.readouterr()
    return captured.out, captured.err


JAPANESE_FILE = (
    "ユーザー名,氏名,メール,役割,学校コード\n"
    "sato,佐藤 健,sato@center.example.jp,支援員,\n"
    "takahashi,高橋 美咲,takahashi@center.example.jp,リーダー,\n"
    "aoba_ict,田中 一郎,tanaka@e001.example.jp,学校,E001\n"
    "daiichi_ict,伊藤 二郎,ito@j001.example.jp,学校担当,Ｊ００１\n"
    "yamamoto,山本 三郎,yamamoto@city.example.jp,管理者,\n"
)

ENGLISH_FILE = (
    "username,full_name,email,role,school_code\n"
    "sato,Sato Ken,sato@center.example.jp,support,\n"
    "takahashi,Takahashi Misaki,takahashi@center.example.jp,LEADER,\n"
    "aoba_ict,Tanaka Ichiro,tanaka@e001.example.jp,school,E001\n"
    "yamamoto,Yamamoto Saburo,yamamoto@city.example.jp,admin,\n"
)


def accounts():
    return {
        u.username: (u.full_name, u.email, u.role, u.school.code if u.school else None)
        for u in User.objects.select_related("school")
    }


def flags():
    return {u.username: (u.is_staff, u.is_superuser) for u in User.objects.all()}


def test_it_creates_users_with_japanese_headers_and_role_words(tmp_path, schools, capsys):
    out, _err = run(write(tmp_path, JAPANESE_FILE, "cp932"), capsys)
    assert accounts() == {
        "sato": ("佐藤 健", "sato@center.example.jp", Role.SUPPORT, None),
        "takahashi": ("高橋 美咲", "takahashi@center.example.jp", Role.LEADER, None),
        "aoba_ict": ("田中 一郎", "tanaka@e001.example.jp", Role.SCHOOL, "E001"),
        "daiichi_ict": ("伊藤 二郎", "ito@j001.example.jp", Role.SCHOOL, "J001"),
        "yamamoto": ("山本 三郎", "yamamoto@city.example.jp", Role.ADMIN, None),
    }
    assert "5 users created, 0 updated; 5 set-password links e-mailed" in out


def test_it_reads_english_role_words_case_insensitively(tmp_path, schools, capsys):
    run(write(tmp_path, ENGLISH_FILE), capsys)
    assert {name: role for name, (_n, _e, role, _s) in accounts().items()} == {
        "sato": Role.SUPPORT,
        "takahashi": Role.LEADER,
        "aoba_ict": Role.SCHOOL,
        "yamamoto": Role.ADMIN,
    }


def test_only_the_admin_role_gets_into_django_admin(tmp_path, schools, capsys):
    run(write(tmp_path, JAPANESE_FILE), capsys)
    assert flags() == {
        "sato": (False, False),
        "takahashi": (False, False),
        "aoba_ict": (False, False),
        "daiichi_ict": (False, False),
        "yamamoto": (True, True),
    }


def test_a_role_change_on_reimport_takes_admin_rights_away(tmp_path, schools, capsys):
    make_user(role=Role.ADMIN, username="aoba_ict")
    run(write(tmp_path, JAPANESE_FILE), capsys, "--apply")
    user = User.objects.get(username="aoba_ict")
    assert (user.role, user.school.code, user.is_staff, user.is_superuser) == (
        Role.SCHOOL,
        "E001",
        False,
        False,
    )


def test_new_users_have_no_usable_password_and_nothing_printed_holds_a_secret(
    tmp_path, schools, capsys, mailoutbox
):
    out, err = run(write(tmp_path, JAPANESE_FILE), capsys)
    assert all(not user.has_usable_password() for user in User.objects.all())
    assert len(mailoutbox) == 5
    printed = out + err
    for message in mailoutbox:
        link = _link_in(message.body)
        assert link not in printed
        assert urlsplit(link).path.split("/")[-2] not in printed  # the token
    for user in User.objects.all():
        assert user.password not in printed
    assert "password" not in printed.lower().replace("set-password", "")


def test_each_new_user_is_mailed_a_link_that_sets_a_password_they_can_log_in_with(
    tmp_path, schools, capsys, mailoutbox, client
):
    run(write(tmp_path, JAPANESE_FILE), capsys)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in User.objects.all())
    message = next(m for m in mailoutbox if m.to == ["tanaka@e001.example.jp"])
    assert "aoba_ict" in message.body  # the login name is in the mail
    link = _link_in(message.body)

    # Django moves the token into the session and redirects to a token-free URL.
    response = client.get(urlsplit(link).path, headers={"accept-language": "ja"})
    assert response.status_code == 302
    form_url = response.url
    response = client.get(form_url)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302

    assert (
        authenticate(
            RequestFactory().post("/accounts/login/"), username="aoba_ict", password=NEW_PASSWORD
        )
        is not None
    )
    assert client.login(request=HttpRequest(), username="aoba_ict", password=NEW_PASSWORD)
    assert client.get("/").context["school"].code == "E001"

    # The link works once.
    client.logout()
    response = client.get(urlsplit(link).path, follow=True)
    assert response.context["validlink"] is False


def test_reimport_updates_by_username_without_sending_links_again(
    tmp_path, schools, capsys, mailoutbox
):
    run(write(tmp_path, JAPANESE_FILE), capsys)
    ids = dict(User.objects.values_list("username", "id"))
    passwords = dict(User.objects.values_list("username", "password"))
    mailoutbox.clear()
    changed = JAPANESE_FILE.replace("佐藤 健", "佐藤 健太").replace(
        "sato@center.example.jp", "k.sato@center.example.jp"
    )
    out, _err = run(write(tmp_path, changed), capsys, "--apply")
    assert "0 users created, 5 updated; 0 set-password links e-mailed" in out
    assert mailoutbox == []
    assert dict(User.objects.values_list("username", "id")) == ids
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert accounts()["sato"][:2] == ("佐藤 健太", "k.sato@center.example.jp")


def test_only_the_new_users_of_a_mixed_file_get_a_link(tmp_path, schools, capsys, mailoutbox):
    make_user(role=Role.SUPPORT, username="sato", email="old@center.example.jp")
    run(write(tmp_path, JAPANESE_FILE), capsys, "--apply")
    assert "sato@center.example.jp" not in [m.to[0] for m in mailoutbox]
    assert len(mailoutbox) == 4
    # The existing user keeps their password.
    assert User.objects.get(username="sato").has_usable_password()


BAD_ROWS = (
    "username,full_name,email,role,school_code\n"
    "good_one,正しい 人,good@center.example.jp,support,\n"  # row 2: fine
    "no_school,学校 なし,ns@e.example.jp,school,\n"  # row 3
    "bad_school,学校 違い,bs@e.example.jp,school,X999\n"  # row 4
    "bad_role,役割 違い,br@e.example.jp,principal,\n"  # row 5
    "bad mail,メール 違い,not-an-address,support,\n"  # row 6: bad username and e-mail
    "good_one,重複 さん,dup@center.example.jp,leader,\n"  # row 7: duplicate username
    ",名前 だけ,nm@e.example.jp,support,\n"  # row 8: no username
)


def test_a_file_with_bad_rows_is_refused_whole_and_every_problem_is_named(
    tmp_path, schools, leader, capsys, mailoutbox
):
    before = accounts()
    with translation.override("en"), pytest.raises(CommandError) as excinfo:
        call_command("import_users", write(tmp_path, BAD_ROWS))
    lines = str(excinfo.value).splitlines()
    assert lines[0].endswith("users.csv: not imported, nothing changed.")
    assert lines[1:] == [
        "Row 3, column school_code: a school user needs a school code",
        "Row 4, column school_code: no school has the code X999",
        "Row 5, column role: 'principal' is not one of: support / 支援員 / leader / リーダー / "
        "school / 学校 / 学校担当 / admin / 管理者",
        "Row 6, column username: 'bad mail' may contain only letters, digits and @ . + - _",
        "Row 6, column email: 'not-an-address' is not an e-mail address",
        "Row 7, column username: good_one appears again (first on row 2)",
        "Row 8, column username: this cell is required",
    ]
    assert accounts() == before
    assert mailoutbox == []


def test_a_staff_row_with_an_unknown_school_code_is_an_error_too(tmp_path, schools):
    text = "username,full_name,email,role,school_code\nsato,佐藤,s@e.example.jp,support,Z1\n"
    with translation.override("en"), pytest.raises(CommandError, match="no school has the code Z1"):
        call_command("import_users", write(tmp_path, text))
    assert not User.objects.exists()


def test_a_user_without_a_password_cannot_log_in_before_setting_one(
    tmp_path, schools, capsys, client
):
    run(write(tmp_path, ENGLISH_FILE), capsys)
    assert not client.login(request=HttpRequest(), username="sato", password="")
    assert (
        authenticate(RequestFactory().post("/accounts/login/"), username="sato", password="!")
        is None
    )


def _link_in(body: str) -> str:
    match = re.search(r"https?://\S+/accounts/set-password/\S+/\S+/", body)
    assert match, body
    return match.group(0)


# --- A change to an existing account is shown, and applied only with --apply (issue 13,
# finding 9: a school user became an administrator, unseen) --------------------------------

PROMOTING_FILE = (
    "username,full_name,email,role,school_code\n"
    "school_a,青葉 担当,school_a@e001.example.jp,admin,\n"
    "newcomer,新人 さん,new@center.example.jp,support,\n"
)


def _school_a(schools):
    return make_user(
        role=Role.SCHOOL,
        username="school_a",
        school=schools["E001"],
        full_name="青葉 担当",
        email="school_a@e001.example.jp",
    )


def test_without_apply_a_role_change_is_printed_and_nothing_changes(
    tmp_path, schools, capsys, mailoutbox
):
    _school_a(schools)
    before = accounts(), flags()
    with translation.override("ja"), TestCase.captureOnCommitCallbacks(execute=True):
        call_command("import_users", write(tmp_path, PROMOTING_FILE))  # exit 0: no CommandError
    out = capsys.readouterr().out
    assert "school_a: 役割 学校担当 → 管理者" in out
    assert "school_a: 学校 E001 青葉小学校 → —" in out
    assert "newcomer: 新しいアカウント" in out
    assert "--apply で反映します" in out
    # Nothing at all: not the role, not the new account, no link, no batch to repeat.
    assert (accounts(), flags()) == before
    assert mailoutbox == []
    assert not ImportBatch.objects.exists()
    assert not ObjectChange.objects.filter(action=Action.IMPORT).exists()


def test_an_e_mail_or_school_change_is_held_back_too(tmp_path, schools, capsys):
    _school_a(schools)
    moved = (
        "username,full_name,email,role,school_code\n"
        "school_a,青葉 担当,someone@else.example.jp,school,J001\n"
    )
    out, _err = run(write(tmp_path, moved), capsys)
    assert "school_a: email address school_a@e001.example.jp → someone@else.example.jp" in out
    assert "school_a: school E001 青葉小学校 → J001 第一中学校" in out
    assert accounts()["school_a"] == ("青葉 担当", "school_a@e001.example.jp", Role.SCHOOL, "E001")


def test_with_apply_the_role_changes_and_the_change_log_says_so(tmp_path, schools, capsys):
    user = _school_a(schools)
    out, _err = run(write(tmp_path, PROMOTING_FILE), capsys, "--apply")
    assert "school_a: role School user → Administrator" in out
    assert "1 users created, 1 updated" in out
    user.refresh_from_db()
    assert (user.role, user.school, user.is_staff, user.is_superuser) == (
        Role.ADMIN,
        None,
        True,
        True,
    )
    entry = ObjectChange.objects.get(action=Action.UPDATE, object_id=str(user.pk))
    assert entry.changes["role"] == ["school", "admin"]
    assert entry.changes["school"][1] is None
    assert entry.changes["is_superuser"] == [False, True]
    assert entry.via == changelog.Via.COMMAND


def test_the_importer_itself_refuses_a_role_change_it_is_not_told_to_apply(schools):
    """Whatever calls it (a command, a future upload page): the batch fails, naming it."""
    user = _school_a(schools)
    with translation.override("en"):
        batch = imports.batch_import(
            kind="users", file=io.BytesIO(PROMOTING_FILE.encode()), by=COMMAND_LINE, name="u.csv"
        )
    assert batch.status == ImportBatch.Status.FAILED
    assert "school_a: role School user → Administrator" in batch.errors
    user.refresh_from_db()
    assert user.role == Role.SCHOOL
    assert not User.objects.filter(username="newcomer").exists()


def test_a_file_of_new_users_and_name_fixes_needs_no_apply(tmp_path, schools, capsys):
    _school_a(schools)
    text = (
        "username,full_name,email,role,school_code\n"
        "school_a,青葉 太郎,school_a@e001.example.jp,school,E001\n"
        "newcomer,新人 さん,new@center.example.jp,support,\n"
    )
    out, _err = run(write(tmp_path, text), capsys)
    assert "school_a: full name 青葉 担当 → 青葉 太郎" in out
    assert "1 users created, 1 updated" in out
    assert accounts()["school_a"][0] == "青葉 太郎"
