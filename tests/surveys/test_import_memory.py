"""The survey import and its preview hold a bounded amount of the file, whatever its
length: each column's distinct answers up to a cap, caches of the same size, and one
chunk of rows being written; never the rows. Measured with tracemalloc (a memory
bound, not a time): four times the rows must not take much more memory."""

import io

import pytest

from gigaportal import imports
from gigaportal.scope import COMMAND_LINE
from surveys import services
from surveys.models import Response, TextAnswer
from tests.memory import peak_bytes
from tests.surveys.factories import pupils_export

pytestmark = pytest.mark.django_db

# Both sizes are past the import's caps (5,000 distinct answers a column, chunks of
# 5,000 responses), so what grows with the file would show as the difference.
SMALL, LARGE = 12_000, 48_000


def export(school, rows: int) -> bytes:
    # Every timestamp and one answer in three of free text its own: columns past the cap.
    opinions = {n: f"意見その{n}：家でも使いたいです。" for n in range(0, rows, 3)}
    return pupils_export([school.name], per_school=[rows], opinions=opinions)


def test_the_preview_holds_a_bounded_part_of_the_file(school_a):
    small, large = export(school_a, SMALL), export(school_a, LARGE)
    options = {"survey": "memory", "group": "小学生"}
    previews = []

    def preview(data):
        return lambda: previews.append(
            services.survey_import_preview(file=io.BytesIO(data), options=options)
        )

    peak_small = peak_bytes(preview(small))
    peak_large = peak_bytes(preview(large))
    assert [p.rows for p in previews] == [SMALL, LARGE]
    assert previews[1].ok, previews[1].errors
    # The file is four times longer (and held in memory by the test itself, outside
    # the measure): what the preview holds grows by less than a third.
    assert peak_large < peak_small * 1.33, (peak_small, peak_large)


def test_the_import_writes_in_chunks_and_holds_no_rows(school_a):
    small, large = export(school_a, SMALL), export(school_a, LARGE)
    batches = []

    def run(data, group):
        return lambda: batches.append(
            imports.batch_import(
                kind=services.IMPORT_KIND,
                file=io.BytesIO(data),
                by=COMMAND_LINE,
                name=f"{group}.csv",
                options={"survey": "memory", "group": group},
            )
        )

    peak_small = peak_bytes(run(small, "small"))
    peak_large = peak_bytes(run(large, "large"))
    assert [b.status for b in batches] == ["done", "done"], batches[-1].errors
    assert Response.objects.filter(group__name="large").count() == LARGE
    assert TextAnswer.objects.filter(group__name="large", question__kind="free_text").count() == (
        LARGE // 3
    )
    assert peak_large < peak_small * 1.33, (peak_small, peak_large)
