"""A large export (over the size the browser waits for) is imported by a real Celery
worker after the leader confirms the preview; the batch page follows it. Needs the
Redis broker (REDIS_URL): run with `-m celery_worker`."""

import re
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from gigaportal.models import ImportBatch
from surveys.models import Response
from tests.surveys.factories import pupils_export


@pytest.mark.celery_worker
def test_a_large_export_is_imported_by_the_worker_after_the_preview(
    celery_worker, client, leader, school_a, school_b
):
    data = pupils_export([school_a.name, school_b.name], per_school=[9000, 9000])
    assert len(data) > settings.IMPORT_INLINE_MAX_BYTES
    client.force_login(leader)
    preview = client.post(
        "/surveys/import/",
        {
            "file": SimpleUploadedFile("large.csv", data, content_type="text/csv"),
            "survey": "__new__",
            "slug": "large",
            "group": "小学生",
        },
    )
    assert preview.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode())[1]
    response = client.post("/surveys/import/confirm/", {"token": token, "action": "import"})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/imports/{batch.pk}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.is_finished:
            break
        time.sleep(0.5)
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert Response.objects.count() == 18000
    assert not batch.file
