"""Writes for surveys: the import (and its preview), corrections of questions, the
codebooks and coding, and edits of surveys and groups. Each runs in one transaction
and leaves one change-log entry (an import, one for its batch)."""

from surveys.services.coding import (
    answers_code,
    answers_code_many,
    answers_code_matching,
    answers_matching,
    codebook_add,
    codebook_delete,
    codebook_update,
    coding_undo,
)
from surveys.services.common import SurveyError
from surveys.services.imports import (
    IMPORT_KIND,
    PREVIEW_KIND,
    ImportOptions,
    Preview,
    survey_import,
    survey_import_check,
    survey_import_preview,
    title_from_file_name,
)
from surveys.services.questions import OptionInput, kind_choices, question_update, scale_apply
from surveys.services.reading import check_and_write, read_export, recognize_export
from surveys.services.surveys import group_delete, group_update, survey_delete, survey_update

__all__ = [
    "IMPORT_KIND",
    "PREVIEW_KIND",
    "ImportOptions",
    "OptionInput",
    "Preview",
    "SurveyError",
    "answers_code",
    "answers_code_many",
    "answers_code_matching",
    "answers_matching",
    "check_and_write",
    "codebook_add",
    "codebook_delete",
    "codebook_update",
    "coding_undo",
    "group_delete",
    "group_update",
    "kind_choices",
    "question_update",
    "read_export",
    "recognize_export",
    "scale_apply",
    "survey_delete",
    "survey_import",
    "survey_import_check",
    "survey_import_preview",
    "survey_update",
    "title_from_file_name",
]
