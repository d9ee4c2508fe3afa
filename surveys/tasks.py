from celery import shared_task
from django.core.files.storage import default_storage

# Before previews were import batches (gigaportal.imports), an upload waiting for its
# leader's confirmation was kept here and swept by the page itself; that sweep went with
# it, so the beat deletes what an older version left (free-text answers among them).
LEGACY_PREVIEW_DIR = "surveys/previews"


@shared_task
def sweep_legacy_previews() -> int:
    """Beat: uploads an earlier version kept in media/surveys/previews/ are deleted."""
    try:
        _dirs, files = default_storage.listdir(LEGACY_PREVIEW_DIR)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return 0
    deleted = 0
    for name in files:
        try:
            default_storage.delete(f"{LEGACY_PREVIEW_DIR}/{name}")
        except OSError:
            continue
        deleted += 1
    return deleted
