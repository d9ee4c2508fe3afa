"""The import page with its preview, through the browser's requests: nothing is saved
before the leader confirms; bad files get a Japanese message and change nothing;
forged forms are refused."""

import re

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from gigaportal.models import ImportBatch, ObjectChange
from surveys.models import Kind, Question, Response, Survey
from tests.surveys.factories import EFFECT, pupils_export

pytestmark = pytest.mark.django_db


def upload(client, data, name="タブレット活用アンケート（回答） - フォームの回答 1.csv", **fields):
    return client.post(
        "/surveys/import/",
        {
            "file": SimpleUploadedFile(name, data, content_type="text/csv"),
            "survey": "__new__",
            "slug": "tablet",
            "group": "小学生",
            **fields,
        },
        headers={"accept-language": "ja"},
    )


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode())[1]


def test_the_preview_shows_what_was_recognised_and_saves_nothing(client, leader, school_a):
    client.force_login(leader)
    response = upload(client, pupils_export([school_a.name]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="preview-table"' in page
    assert "6" in re.search(r'data-testid="preview-summary">(.*?)</p>', page, re.S)[1]
    assert EFFECT in page
    assert "評定尺度（肯定的：とてもそう思う、そう思う）" in page
    # Nothing but the preview's own batch, which keeps the file for the import.
    assert not Survey.objects.exists()
    preview = ImportBatch.objects.get()
    assert (preview.kind, preview.status, preview.created) == ("survey_preview", "done", 6)
    assert preview.file
    assert not ObjectChange.objects.exists()


def test_saving_the_preview_imports_with_the_kinds_the_leader_chose(client, leader, school_a):
    client.force_login(leader)
    preview = upload(client, pupils_export([school_a.name]))
    response = client.post(
        "/surveys/import/confirm/",
        {"token": token_of(preview), "action": "import", "kind-3": "free_text"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/surveys/tablet/"
    survey = Survey.objects.get(slug="tablet")
    assert survey.title == "タブレット活用アンケート"  # from the Sheets file name
    assert Question.objects.get(text=EFFECT).kind == Kind.FREE_TEXT
    assert Response.objects.count() == 6
    batch = ImportBatch.objects.get(kind="survey_responses")
    assert (batch.file_name, batch.by) == (
        "タブレット活用アンケート（回答） - フォームの回答 1.csv",
        leader,
    )


def test_checking_again_with_other_kinds_still_saves_nothing(client, leader, school_a):
    client.force_login(leader)
    preview = upload(client, pupils_export([school_a.name]))
    again = client.post(
        "/surveys/import/confirm/",
        {"token": token_of(preview), "action": "preview", "kind-3": "number"},
    )
    assert again.status_code == 200
    assert (
        "数値でない" in again.content.decode()
        or 'data-testid="import-errors"' in again.content.decode()
    )
    assert not Survey.objects.exists()


def test_a_preview_token_of_another_user_or_forged_is_refused(client, leader, admin, school_a):
    client.force_login(leader)
    token = token_of(upload(client, pupils_export([school_a.name])))
    client.force_login(admin)
    assert (
        client.post("/surveys/import/confirm/", {"token": token, "action": "import"}).status_code
        == 400
    )
    forged = signing.dumps({"name": "../../etc/passwd", "user": admin.pk, "options": {}}, salt="x")
    assert (
        client.post("/surveys/import/confirm/", {"token": forged, "action": "import"}).status_code
        == 400
    )
    assert (
        client.post(
            "/surveys/import/confirm/", {"token": "garbage", "action": "import"}
        ).status_code
        == 400
    )
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02binary\xff", "バイナリデータ"),
        ("質問\n".encode("utf-16"), "UTF-16"),
        ("タイムスタンプ,質問\n".encode(), "データ行がありません"),
        (
            "タイムスタンプ,質問\n2022/11/30 8:00:00,はい,余計\n".encode(),
            "2行目：この行は3個のセルがありますが、見出しは2列です",
        ),
    ],
    ids=["binary", "utf-16", "no rows", "more cells than the header"],
)
def test_a_bad_file_gets_a_japanese_message_and_nothing_changes(client, leader, data, message):
    client.force_login(leader)
    response = upload(client, data)
    page = response.content.decode()
    assert message in page
    if response.status_code == 200:  # read, but with row errors: the preview has no save button
        assert 'data-testid="save-button"' not in page
    else:
        assert response.status_code == 400
    assert not Survey.objects.exists() and not Response.objects.exists()


def test_an_empty_upload_is_refused_by_the_form(client, leader):
    client.force_login(leader)
    response = upload(client, b"")
    assert response.status_code == 400
    assert not Survey.objects.exists()


def test_a_new_survey_needs_a_proper_short_name(client, leader, school_a):
    client.force_login(leader)
    for slug in ("", "Bad Name", "results", "a" * 80):
        assert upload(client, pupils_export([school_a.name]), slug=slug).status_code == 400
    assert not Survey.objects.exists()


def test_the_survey_page_and_edit_page_work_for_the_leader(client, leader, school_a):
    from tests.surveys.factories import import_export

    import_export(pupils_export([school_a.name]), survey="tablet", group="小学生")
    client.force_login(leader)
    assert client.get("/surveys/tablet/").status_code == 200
    response = client.post(
        "/surveys/tablet/edit/",
        {
            "title": "タブレット活用アンケート",
            "fiscal_year": 2022,
            "target_population": 2100,
            "opens_on": "2022-12-13",
            "closes_on": "2022-11-30",
        },
    )
    assert response.status_code == 400  # the period is backwards
    response = client.post(
        "/surveys/tablet/edit/",
        {"title": "タブレット活用アンケート", "fiscal_year": 2022, "target_population": 2100},
    )
    assert response.status_code == 302
    assert Survey.objects.get().target_population == 2100
    assert ObjectChange.objects.filter(object_repr="タブレット活用アンケート").exists()
