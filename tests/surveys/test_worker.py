"""A large export (over the size the browser waits for) is previewed and then imported
by a real Celery worker: the upload returns at once with a queued preview, the batch
page follows it and leads to the preview, and the save is a queued import. Needs the
Redis broker (REDIS_URL): run with `-m celery_worker`."""

import re
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from gigaportal.models import ImportBatch
from surveys.models import Response
from tests.surveys.factories import pupils_export


def wait_for(batch: ImportBatch) -> ImportBatch:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.is_finished:
            return batch
        time.sleep(0.5)
    return batch


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode())[1]


@pytest.mark.celery_worker
def test_a_large_export_is_previewed_and_imported_by_the_worker(
    celery_worker, client, leader, school_a, school_b
):
    data = pupils_export([school_a.name, school_b.name], per_school=[9000, 9000])
    assert len(data) > settings.IMPORT_INLINE_MAX_BYTES
    client.force_login(leader)
    response = client.post(
        "/surveys/import/",
        {
            "file": SimpleUploadedFile("large.csv", data, content_type="text/csv"),
            "survey": "__new__",
            "slug": "large",
            "group": "小学生",
        },
        headers={"accept-language": "ja"},
    )
    # The request only stored the file: the preview is a queued batch of its own.
    assert response.status_code == 302
    preview = ImportBatch.objects.get()
    assert preview.kind == "survey_preview"
    assert response["Location"] == f"/imports/{preview.pk}/"
    waiting = client.get(response["Location"], headers={"accept-language": "ja"})
    assert waiting.status_code in (200, 302)

    preview = wait_for(preview)
    assert preview.status == ImportBatch.Status.DONE, preview.errors
    assert preview.file  # kept for the import
    assert not Response.objects.exists()
    status = client.get(f"/imports/{preview.pk}/status/").json()
    assert status["next_url"] == f"/surveys/import/preview/{preview.pk}/"
    assert status["details"] == {}  # the preview's page shows it, to its uploader only
    # The finished batch's page leads to the preview page.
    finished = client.get(f"/imports/{preview.pk}/")
    assert finished.status_code == 302 and finished["Location"] == status["next_url"]
    page = client.get(status["next_url"], headers={"accept-language": "ja"})
    assert page.status_code == 200
    assert (
        "18,000"
        in re.search(r'data-testid="preview-summary">(.*?)</p>', page.content.decode(), re.S)[1]
    )

    response = client.post(
        "/surveys/import/confirm/", {"token": token_of(page), "action": "import"}
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get(kind="survey_responses")
    assert response["Location"] == f"/imports/{batch.pk}/"
    batch = wait_for(batch)
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert Response.objects.count() == 18000
    assert not batch.file
    preview.refresh_from_db()
    assert not preview.file  # the import had its own copy


@pytest.mark.celery_worker
def test_a_correction_of_kinds_of_a_large_file_is_previewed_again_by_the_worker(
    celery_worker, client, leader, school_a, settings
):
    settings.IMPORT_INLINE_MAX_BYTES = 1024
    data = pupils_export([school_a.name], per_school=[200])
    client.force_login(leader)
    response = client.post(
        "/surveys/import/",
        {
            "file": SimpleUploadedFile("m.csv", data, content_type="text/csv"),
            "survey": "__new__",
            "slug": "medium",
            "group": "小学生",
        },
    )
    first = wait_for(ImportBatch.objects.get(pk=int(response["Location"].split("/")[2])))
    page = client.get(f"/surveys/import/preview/{first.pk}/", headers={"accept-language": "ja"})
    again = client.post(
        "/surveys/import/confirm/",
        {"token": token_of(page), "action": "preview", "kind-3": "number"},
    )
    assert again.status_code == 302
    second = ImportBatch.objects.exclude(pk=first.pk).get()
    assert again["Location"] == f"/imports/{second.pk}/"
    second = wait_for(second)
    assert second.status == ImportBatch.Status.DONE
    page = client.get(f"/surveys/import/preview/{second.pk}/", headers={"accept-language": "ja"})
    assert "数値ではありません" in page.content.decode()
    assert 'data-testid="save-button"' not in page.content.decode()
    first.refresh_from_db()
    assert not first.file and second.file
    assert not Response.objects.exists()
