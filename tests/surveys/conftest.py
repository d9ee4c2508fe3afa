import pytest


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploads waiting for their preview to be confirmed go to a folder of the test."""
    settings.MEDIA_ROOT = tmp_path / "media"
