"""The portal's own pages: homes, schools, health (portal), imports and the change log."""

from gigaportal.views.changes import ObjectChangeListView, ObjectHistoryView
from gigaportal.views.imports import (
    ImportBatchDetailView,
    ImportBatchListView,
    ImportBatchStatusView,
    ImportView,
    UploadForm,
)
from gigaportal.views.portal import (
    PasswordChangeView,
    SchoolDetailView,
    SchoolListView,
    favicon,
    healthz,
    home,
)

__all__ = [
    "ImportBatchDetailView",
    "ImportBatchListView",
    "ImportBatchStatusView",
    "ImportView",
    "ObjectChangeListView",
    "ObjectHistoryView",
    "PasswordChangeView",
    "SchoolDetailView",
    "SchoolListView",
    "UploadForm",
    "favicon",
    "healthz",
    "home",
]
