"""The committee report pack from the demo: the PDF's text holds the papers' figures
in an embedded Japanese font, the workbook holds the tables with native charts, and
the pack is kept (who, when, which period) with its change-log entry."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboard import services
from dashboard.models import ReportPack
from gigaportal.calendar import Month
from gigaportal.models import ObjectChange
from gigaportal.scope import COMMAND_LINE
from tests.factories import submit_token

pytestmark = pytest.mark.django_db

# The seed's figures, as the papers print them.
PAPER_FIGURES = [
    # 資料1: visits by term
    "248",
    "366",
    "62",
    # Breakages: iPad spares from 518 to 315, 219 breakages this year
    "518",
    "315",
    "219",
    # Data usage in September 2022 and its rate
    "68,216",
    "55%",
    # The September cohort: ① 16 → ② 11 → ③ 3 → ④ 2
    "① 16",
    "② 11",
    "③ 3",
    "④ 2",
    # ICT survey's categories
    "124",
    "64",
    "145",
    # The ten requests and その他
    "51",
    "404",
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo_pack(media, tmp_path):
    call_command("load_demo", "--allow-production", stdout=io.StringIO())
    pdf, xlsx = tmp_path / "pack.pdf", tmp_path / "pack.xlsx"
    call_command(
        "report_pack",
        "--fiscal-year",
        "2022",
        "--to",
        "2022-12",
        "--pdf",
        str(pdf),
        "--xlsx",
        str(xlsx),
        stdout=io.StringIO(),
    )
    return pdf, xlsx


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_the_pack_from_the_demo_reproduces_the_papers(demo_pack):
    """One demo load for the three claims: the PDF, the workbook, the kept pack."""
    pdf, xlsx = demo_pack
    _the_pdf_has_the_papers_figures_in_an_embedded_japanese_font(pdf)
    _the_workbook_holds_the_tables_and_a_native_chart_per_charted_table(xlsx)
    _the_pack_is_kept_with_who_made_it_and_its_log_entry()


def _the_pdf_has_the_papers_figures_in_an_embedded_japanese_font(pdf):
    text = _pdf_text(pdf)
    squeezed = re.sub(r"\s+", " ", text)
    missing = [figure for figure in PAPER_FIGURES if figure not in squeezed]
    assert not missing, missing
    # The papers' sections, by their Japanese headings, and 1学期 from the term table.
    for heading in ("学期", "保守用残数", "利用率", "タブレット活用アンケート", "組織図"):
        assert heading in text
    # Every page carries its page number and the "as of" date.
    reader = PdfReader(pdf)
    assert len(reader.pages) > 10
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert re.search(rf"2022年12月31日現在\s+{number}\b", page_text), number

    # Every font that draws text is a TrueType subset embedded in the file.
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    japanese = [f for name, f in fonts.items() if "IPAexGothic" in name]
    assert japanese
    for font in japanese:
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]
        assert re.match(r"/[A-Z]{6}\+", font["/BaseFont"]), "a subset has a six-letter tag"


def _the_workbook_holds_the_tables_and_a_native_chart_per_charted_table(xlsx):
    workbook = load_workbook(xlsx)
    titles = workbook.sheetnames
    assert len(titles) >= 10
    usage = next(workbook[t] for t in titles if "利用率" in t)
    values = [row for row in usage.iter_rows(values_only=True) if row and row[1] == 68216]
    assert values and values[0][-1] == 55  # numbers as numbers, not text
    terms = workbook[titles[1]]
    assert any(row[1:4] == (248, 366, 62) for row in terms.iter_rows(values_only=True))
    assert terms.tables, "an Excel table, not loose cells"

    with zipfile.ZipFile(xlsx) as archive:
        names = archive.namelist()
        charts = [n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        drawings = [n for n in names if n.startswith("xl/drawings/drawing")]
        assert not [n for n in names if n.startswith("xl/media/")], "charts are not pictures"
        # Term table, breakages, usage (bars and the rate's line in one chart) and one
        # chart per question of the tablet survey and of the ICT survey's tables.
        assert len(charts) >= 10
        assert drawings
        usage_chart = next(
            archive.read(n).decode() for n in charts if "利用率" in archive.read(n).decode()
        )
        assert "<c:barChart>" in usage_chart and "<c:lineChart>" in usage_chart


def _the_pack_is_kept_with_who_made_it_and_its_log_entry():
    pack = ReportPack.objects.get()
    assert (pack.fiscal_year, pack.end_month, pack.status) == (2022, "2022-12", "done")
    assert pack.pdf and pack.xlsx and pack.progress == 100
    entry = ObjectChange.objects.get(object_id=str(pack.pk), content_type__model="reportpack")
    assert entry.changes == {"fiscal_year": [None, 2022], "end_month": [None, "2022-12"]}


def test_a_month_outside_the_fiscal_year_is_refused_before_anything_is_saved(media):
    with pytest.raises(services.PackError, match="2023-04"):
        services.pack_request(by=COMMAND_LINE, fiscal_year=2022, end=Month(2023, 4))
    with pytest.raises(CommandError):
        call_command("report_pack", "--fiscal-year", "2022", "--to", "2022-13")
    assert not ReportPack.objects.exists()
    assert not ObjectChange.objects.filter(content_type__model="reportpack").exists()


def test_a_pack_is_made_once_even_when_its_task_runs_twice(media):
    pack = services.pack_request(
        by=COMMAND_LINE, fiscal_year=2022, end=Month(2022, 12), enqueue=False
    )
    assert services.pack_make(pack_id=pack.pk) == "done"
    first = ReportPack.objects.get(pk=pack.pk)
    assert services.pack_make(pack_id=pack.pk) == "not claimed"
    again = ReportPack.objects.get(pk=pack.pk)
    assert (again.pdf.name, again.finished_at) == (first.pdf.name, first.finished_at)
    # An empty portal still makes a readable pack: no records is said, not a failure.
    assert "この期間の記録はありません。" in _pdf_text(first.pdf.path)


def test_the_button_makes_the_pack_in_process_without_a_broker(
    media, client, leader, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/dashboard/packs/new/", {"month": "2022-12", "submit_token": submit_token(leader)}
        )
    pack = ReportPack.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/packs/{pack.pk}/")
    assert pack.status == "done"
    assert pack.requested_by == leader
    download = client.get(f"/dashboard/packs/{pack.pk}/pdf/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_bad_month_from_the_button_is_a_message_not_an_error(media, client, leader):
    client.force_login(leader)
    response = client.post("/dashboard/packs/new/", {"month": "2022-13"}, follow=True)
    assert response.status_code == 200
    assert not ReportPack.objects.exists()
    assert "資料を作る月を選んでください。" in response.content.decode()


@pytest.mark.celery_worker
def test_a_real_worker_makes_the_pack(celery_worker, media, leader):
    import time

    pack = services.pack_request(by=leader, fiscal_year=2022, end=Month(2022, 12))
    for _ in range(300):  # wait for the worker (bounded), not a timed assertion
        pack.refresh_from_db()
        if pack.is_finished:
            break
        time.sleep(0.1)
    assert pack.status == "done", pack.error
    assert pack.pdf.open("rb").read(4) == b"%PDF"


def test_a_double_click_on_the_button_makes_one_pack(
    media, client, leader, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    data = {"month": "2022-12", "submit_token": submit_token(leader)}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/dashboard/packs/new/", data)
    again = client.post("/dashboard/packs/new/", data, follow=True)
    pack = ReportPack.objects.get()
    assert first["Location"].endswith(f"/packs/{pack.pk}/")
    assert again.redirect_chain[-1][0].endswith(f"/packs/{pack.pk}/")
    assert "この内容はすでに送信済みです。" in again.content.decode()
    assert ObjectChange.objects.filter(content_type__model="reportpack").count() == 1


def test_the_button_without_its_token_makes_nothing(media, client, leader, school_a_user):
    client.force_login(leader)
    for token in ("", "forged", submit_token(school_a_user)):
        response = client.post(
            "/dashboard/packs/new/", {"month": "2022-12", "submit_token": token}, follow=True
        )
        assert response.status_code == 200
    assert not ReportPack.objects.exists()


def test_the_sweep_publishes_lost_packs_and_fails_those_whose_worker_died(
    media, leader, eager_tasks, settings
):
    import datetime as dt

    from django.utils import timezone

    from dashboard.tasks import sweep_report_packs

    lost = services.pack_request(by=leader, fiscal_year=2022, end=Month(2022, 12), enqueue=False)
    fresh = services.pack_request(by=leader, fiscal_year=2022, end=Month(2022, 11), enqueue=False)
    stuck = services.pack_request(by=leader, fiscal_year=2022, end=Month(2022, 10), enqueue=False)
    now = timezone.now()
    ReportPack.objects.filter(pk=lost.pk).update(created_at=now - dt.timedelta(minutes=5))
    ReportPack.objects.filter(pk=stuck.pk).update(
        status="running",
        started_at=now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60),
    )
    assert sweep_report_packs() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    stuck.refresh_from_db()
    assert lost.status == "done" and lost.pdf
    assert fresh.status == "queued"  # its own task may still be on its way
    assert stuck.status == "failed"
    assert "もう一度" in stuck.error
    entry = ObjectChange.objects.get(
        content_type__model="reportpack", object_id=str(stuck.pk), action="update"
    )
    assert entry.changes == {"status": ["running", "failed"]}


def test_a_pack_whose_file_is_missing_is_a_message_not_an_error(media, client, leader):
    pack = services.pack_request(by=leader, fiscal_year=2022, end=Month(2022, 12), enqueue=False)
    assert services.pack_make(pack_id=pack.pk) == "done"
    pack.refresh_from_db()
    pack.pdf.storage.delete(pack.pdf.name)
    client.force_login(leader)
    response = client.get(f"/dashboard/packs/{pack.pk}/pdf/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(f"/packs/{pack.pk}/")
    assert "もう一度" in response.content.decode()
