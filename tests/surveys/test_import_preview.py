"""The preview of a large file is a batch of its own: the upload returns at once with
it queued, its page follows it and then shows the preview to its uploader only; a
preview is never "already imported" and writes nothing but its batch."""

import io
import re

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from gigaportal import imports
from gigaportal.models import ImportBatch, ObjectChange
from surveys import services
from surveys.models import Response, Survey
from tests.factories import make_user
from tests.surveys.factories import OPINION, import_export, pupils_export

pytestmark = pytest.mark.django_db


def upload(client, data, **fields):
    return client.post(
        "/surveys/import/",
        {
            "file": SimpleUploadedFile("回答.csv", data, content_type="text/csv"),
            "survey": "__new__",
            "slug": "tablet",
            "group": "小学生",
            **fields,
        },
        headers={"accept-language": "ja"},
    )


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode())[1]


def run(batch: ImportBatch) -> ImportBatch:
    """What the worker does with a queued batch (run here, in this process)."""
    imports.batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def test_a_large_upload_returns_at_once_with_a_queued_preview(client, leader, school_a, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 512
    data = pupils_export([school_a.name], per_school=[40], opinions={3: "先生にだけ伝えたい意見"})
    assert len(data) > 512
    client.force_login(leader)
    response = upload(client, data)
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/imports/{batch.pk}/"
    assert (batch.kind, batch.status, batch.file_name) == (
        services.PREVIEW_KIND,
        ImportBatch.Status.QUEUED,
        "回答.csv",
    )
    waiting = client.get(response["Location"], headers={"accept-language": "ja"})
    assert waiting.status_code == 200
    assert 'data-testid="job-status"' in waiting.content.decode()
    assert client.get(f"/imports/{batch.pk}/status/").json()["next_url"] == ""

    batch = run(batch)
    assert batch.status == ImportBatch.Status.DONE and batch.file
    status = client.get(f"/imports/{batch.pk}/status/").json()
    assert status["next_url"] == f"/surveys/import/preview/{batch.pk}/"
    assert "先生にだけ伝えたい意見" not in str(status)
    page = client.get(status["next_url"], headers={"accept-language": "ja"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "40" in re.search(r'data-testid="preview-summary">(.*?)</p>', text, re.S)[1]
    assert OPINION in text and 'data-testid="save-button"' in text
    # Nothing written but the preview's batch: no survey, no change-log entry.
    assert not Survey.objects.exists() and not ObjectChange.objects.exists()

    saved = client.post("/surveys/import/confirm/", {"token": token_of(page), "action": "import"})
    imported = ImportBatch.objects.get(kind=services.IMPORT_KIND)
    assert saved["Location"] == f"/imports/{imported.pk}/"
    assert run(imported).status == ImportBatch.Status.DONE
    assert Response.objects.count() == 40


def test_a_preview_is_shown_to_its_uploader_only(client, leader, admin, school_a, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 512
    client.force_login(leader)
    upload(client, pupils_export([school_a.name], per_school=[40], opinions={0: "秘密の意見"}))
    batch = run(ImportBatch.objects.get())
    other_leader = make_user(role="leader", username="leader2")
    for outsider in (admin, other_leader):
        client.force_login(outsider)
        for url in (
            f"/surveys/import/preview/{batch.pk}/",
            f"/imports/{batch.pk}/",
            f"/imports/{batch.pk}/status/",
        ):
            assert client.get(url).status_code == 404, (outsider, url)
        assert "秘密の意見" not in client.get("/imports/").content.decode()


def test_a_preview_is_never_already_imported_and_imports_stay_deduplicated(
    client, leader, school_a
):
    data = pupils_export([school_a.name])
    import_export(data, survey="tablet", group="小学生")
    client.force_login(leader)
    for _ in range(2):
        page = upload(client, data, survey="tablet", slug="")
        assert page.status_code == 200, page.content.decode()[:2000]
        assert 'data-testid="preview-replaces"' in page.content.decode()
    previews = ImportBatch.objects.filter(kind=services.PREVIEW_KIND)
    assert [b.status for b in previews] == [ImportBatch.Status.DONE] * 2
    saved = client.post("/surveys/import/confirm/", {"token": token_of(page), "action": "import"})
    assert saved.status_code == 302
    assert ImportBatch.objects.filter(kind=services.IMPORT_KIND).latest("pk").status == (
        ImportBatch.Status.UNCHANGED
    )
    # The previews are not among what came in.
    listed = client.get("/imports/").content.decode()
    assert listed.count("/imports/") >= 1
    assert all(f'/imports/{b.pk}/"' not in listed for b in previews)


def test_a_token_for_another_users_preview_or_a_forged_one_is_refused_in_japanese(
    client, leader, school_a
):
    client.force_login(leader)
    page = upload(client, pupils_export([school_a.name]))
    batch = ImportBatch.objects.get()
    other_leader = make_user(role="leader", username="leader2")
    client.force_login(other_leader)
    refused = client.post(
        "/surveys/import/confirm/",
        {"token": token_of(page), "action": "import"},
        headers={"accept-language": "ja"},
    )
    assert refused.status_code == 400
    assert "この確認画面は無効になりました" in refused.content.decode()
    # A token signed for this user but naming the first leader's preview: not theirs.
    forged = signing.dumps(
        {"batch": batch.pk, "user": other_leader.pk, "keys": {}},
        salt="surveys.import-preview",
        compress=True,
    )
    answer = client.post("/surveys/import/confirm/", {"token": forged, "action": "import"})
    assert answer.status_code == 302 and answer["Location"] == "/surveys/import/"
    tampered = token_of(page)[:-3] + "abc"
    client.force_login(leader)
    assert (
        client.post("/surveys/import/confirm/", {"token": tampered, "action": "import"}).status_code
        == 400
    )
    assert not Survey.objects.exists()
    batch.refresh_from_db()
    assert batch.file  # still the first leader's to confirm


def test_the_preview_says_what_the_import_would_refuse(school_a):
    """Both passes without the writes: a bad row found in the second pass is in the
    preview, with its row number, as the import refuses it."""
    from tests.surveys.factories import sheet_csv

    data = sheet_csv(
        ["タイムスタンプ", "学校名", "質問"],
        [["2022/11/30 8:00:00", school_a.name, "はい"]] * 5
        + [["きのう", school_a.name, "はい"], ["2022/11/30 8:02:00", "架空小学校", "はい"]],
    )
    from django.utils import translation

    with translation.override("ja"):
        preview = services.survey_import_preview(
            file=io.BytesIO(data), options={"survey": "bad", "group": "x"}
        )
        batch = import_export(data, survey="bad", group="x")
    assert preview.errors == batch.errors
    assert preview.errors[0].startswith("7行目")
    assert not Survey.objects.exists()


def test_a_preview_nobody_confirmed_lets_go_of_its_file_after_a_day(client, leader, school_a):
    import datetime as dt

    from django.utils import timezone

    client.force_login(leader)
    upload(client, pupils_export([school_a.name]))
    batch = ImportBatch.objects.get()
    stored = batch.file.name
    assert batch.file.storage.exists(stored)
    imports.batches_sweep()
    batch.refresh_from_db()
    assert batch.file  # still waiting for its leader
    ImportBatch.objects.filter(pk=batch.pk).update(
        finished_at=timezone.now() - dt.timedelta(days=1, minutes=1)
    )
    imports.batches_sweep()
    batch.refresh_from_db()
    assert not batch.file and not batch.file.storage.exists(stored)


def _stored_uploads(settings) -> list:
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_refused_preview_deletes_its_upload(client, leader, settings):
    """Inline and by a worker: the stored upload of a preview that could not be made
    (it may hold free-text answers) is deleted with its batch's end."""
    client.force_login(leader)
    refused = upload(client, b"PK\x03\x04 not really a workbook")
    assert refused.status_code == 400
    settings.IMPORT_INLINE_MAX_BYTES = 16
    queued = upload(client, "タイムスタンプ,学校名\n\x00\x01".encode() * 10)
    batch = ImportBatch.objects.get(status=ImportBatch.Status.QUEUED)
    assert queued.status_code == 302 and _stored_uploads(settings)
    assert run(batch).status == ImportBatch.Status.FAILED
    assert ImportBatch.objects.filter(kind=services.PREVIEW_KIND).exclude(file="").count() == 0
    assert _stored_uploads(settings) == []


def test_saving_one_preview_twice_makes_one_import(client, leader, school_a, settings):
    client.force_login(leader)
    page = upload(client, pupils_export([school_a.name]))
    token = token_of(page)
    first = client.post("/surveys/import/confirm/", {"token": token, "action": "import"})
    again = client.post(
        "/surveys/import/confirm/",
        {"token": token, "action": "import"},
        headers={"accept-language": "ja"},
        follow=True,
    )
    imported = ImportBatch.objects.get(kind=services.IMPORT_KIND)
    assert first.status_code == 302
    assert again.redirect_chain[0][0] == f"/imports/{imported.pk}/"
    assert "この内容はすでに送信済みです。" in again.content.decode()
    assert ObjectChange.objects.filter(content_type__model="importbatch").count() <= 1
    # The spent preview keeps nothing it quoted of the file.
    preview = ImportBatch.objects.get(kind=services.PREVIEW_KIND)
    assert preview.details == {"followed_by": imported.pk} and not preview.file


def test_a_preview_whose_file_is_gone_is_a_message_not_an_error(client, leader, school_a):
    client.force_login(leader)
    page = upload(client, pupils_export([school_a.name]))
    batch = ImportBatch.objects.get()
    batch.file.storage.delete(batch.file.name)
    answer = client.post(
        "/surveys/import/confirm/",
        {"token": token_of(page), "action": "import"},
        headers={"accept-language": "ja"},
        follow=True,
    )
    assert answer.status_code == 200
    assert "有効期限" in answer.content.decode()
    assert not ImportBatch.objects.filter(kind=services.IMPORT_KIND).exists()


def test_the_beat_deletes_uploads_an_earlier_version_kept_for_its_previews(settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from gigaportal.celery import BEAT_SCHEDULE
    from surveys.tasks import sweep_legacy_previews

    assert sweep_legacy_previews() == 0  # no such folder: nothing to do
    name = default_storage.save("surveys/previews/old.csv", ContentFile("自由記述".encode()))
    assert default_storage.exists(name)
    assert sweep_legacy_previews() == 1
    assert not default_storage.exists(name)
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "surveys.tasks.sweep_legacy_previews" in tasks


def _media_files(settings) -> set[str]:
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_a_saved_preview_lets_go_of_its_file_once_the_import_commits(
    client, leader, school_a, settings, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    page = upload(client, pupils_export([school_a.name]))
    preview = ImportBatch.objects.get()
    assert preview.file.storage.exists(preview.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/surveys/import/confirm/", {"token": token_of(page), "action": "import"})
    assert not preview.file.storage.exists(preview.file.name)


def test_a_failure_after_the_new_batch_leaves_the_preview_whole_and_no_file_for_ever(
    client, leader, school_a, settings, monkeypatch
):
    """A check-again whose page fails to render (any error after the new preview batch
    stored its copy of the file): the request's transaction rolls back. The preview
    still names its file, which is still there, so the leader can go on; the copy no
    row names is deleted by the beat a day later."""
    import datetime as dt

    from django.utils import timezone

    from surveys import views

    client.force_login(leader)
    page = upload(client, pupils_export([school_a.name]))
    preview = ImportBatch.objects.get()
    before = _media_files(settings)
    real_render = views._render_preview
    monkeypatch.setattr(views, "_render_preview", lambda *a, **k: 1 / 0)
    client.raise_request_exception = False
    failed = client.post("/surveys/import/confirm/", {"token": token_of(page), "action": "again"})
    assert failed.status_code == 500
    preview.refresh_from_db()
    assert ImportBatch.objects.get() == preview and preview.file
    assert preview.file.storage.exists(preview.file.name)
    (orphan,) = _media_files(settings) - before
    # Not before a day (it could be a batch still being written), and never a named file.
    assert imports.uploads_sweep() == 0
    assert imports.uploads_sweep(now=timezone.now() + dt.timedelta(days=2)) == 1
    assert _media_files(settings) == before and orphan not in _media_files(settings)
    # The leader goes on from the same preview page.
    monkeypatch.setattr(views, "_render_preview", real_render)
    again = client.post("/surveys/import/confirm/", {"token": token_of(page), "action": "import"})
    assert again.status_code == 302
    assert ImportBatch.objects.filter(kind=services.IMPORT_KIND, status="done").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_one_preview_make_one_import(leader, school_a, require_postgres):
    """A real double click: both posts arrive together; the preview's row lock makes the
    second wait, find it spent and follow the first."""
    from django.test import Client

    from tests.concurrency import in_two_threads

    client = Client()
    client.force_login(leader)
    token = token_of(upload(client, pupils_export([school_a.name], per_school=[200])))

    def save():
        own = Client()
        own.force_login(leader)
        return own.post("/surveys/import/confirm/", {"token": token, "action": "import"})

    answers = in_two_threads(save)
    assert [answer.status_code for answer in answers] == [302, 302]
    assert ImportBatch.objects.filter(kind=services.IMPORT_KIND).count() == 1
