"""The leader imports a Google Forms export in real Chromium: the preview, then the
save, then the group chart on a desktop (1366 px) and a phone (390 px); a school user
cannot reach another school's results."""

import pytest
from playwright.sync_api import expect

from surveys.models import Response, Survey
from tests.conftest import browser_login, screenshot
from tests.surveys.factories import pupils_export


def chart_loaded(page) -> bool:
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=question-chart]')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )


@pytest.mark.browser
def test_the_leader_imports_a_forms_export_sees_the_preview_saves_and_opens_the_chart(
    page, phone_page, cast, school_a, school_b, tmp_path
):
    export = tmp_path / "タブレット活用アンケート（回答） - フォームの回答 1.csv"
    export.write_bytes(pupils_export([school_a.name, school_b.name], per_school=[8, 7]))

    # 1. The file, where it goes: a new survey, the pupils' group.
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, "leader")
    page.goto("/surveys/import/")
    page.locator("input[name=file]").set_input_files(str(export))
    page.locator("input[name=slug]").fill("tablet-2022")
    page.locator("input[name=group]").fill("小学生")
    page.get_by_test_id("preview-button").click()

    # 2. The preview: what was recognised; nothing saved yet.
    assert page.get_by_test_id("page-title").inner_text() == "保存前の確認"
    assert "15" in page.get_by_test_id("preview-summary").inner_text()
    table = page.get_by_test_id("preview-table").inner_text()
    assert "複数選択（チェックボックス）" in table and "評定尺度" in table
    assert not Survey.objects.exists()
    screenshot(page, "surveys-import-preview")

    # 3. Saved: the survey's page, then its results by group.
    page.get_by_test_id("save-button").click()
    page.wait_for_url("**/surveys/tablet-2022/")
    assert Response.objects.count() == 15
    assert "15" in page.get_by_test_id("survey-responses").inner_text()
    page.get_by_test_id("results-link").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("question-block").count() >= 3
    assert chart_loaded(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, "surveys-results-1366")

    # 4. The same chart on a phone: nothing wider than the screen.
    browser_login(phone_page, "leader")
    phone_page.goto("/surveys/results/?survey=tablet-2022")
    phone_page.wait_for_load_state("networkidle")
    assert chart_loaded(phone_page)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    width = phone_page.evaluate(
        "document.querySelector('[data-testid=question-chart]').getBoundingClientRect().width"
    )
    assert 0 < width <= 390
    screenshot(phone_page, "surveys-results-390")


@pytest.mark.browser
def test_a_school_user_cannot_reach_another_schools_results(page, cast, school_a, school_b):
    from tests.surveys.factories import import_export

    import_export(
        pupils_export([school_a.name, school_b.name]), survey="tablet-2022", group="小学生"
    )
    browser_login(page, "school_a_user")
    page.goto("/surveys/results/?survey=tablet-2022")
    text = page.locator("main").inner_text()
    assert school_a.name in text and "市全体" in text
    assert school_b.name not in text
    response = page.goto(f"/surveys/results/?survey=tablet-2022&school={school_b.pk}")
    assert response.status == 404
    response = page.goto(f"/surveys/results/?survey=tablet-2022&school={school_b.pk}&download=csv")
    assert response.status == 404
    response = page.goto("/surveys/free-text/?survey=tablet-2022")
    assert response.status == 403


@pytest.mark.browser
def test_the_leader_codes_answers_by_keyboard_and_undoes(page, cast, school_a):
    from gigaportal.scope import COMMAND_LINE
    from surveys import services
    from surveys.models import Question, TextAnswer
    from tests.surveys.factories import OPINION, import_export

    opinions = {0: "充電が大変です", 1: "画面が小さい", 2: "充電器が足りない", 3: "楽しい"}
    import_export(pupils_export([school_a.name], opinions=opinions), survey="s", group="小学生")
    question = Question.objects.get(text=OPINION)
    charge = services.codebook_add(by=COMMAND_LINE, question=question, text="充電", keywords="充電")
    services.codebook_add(by=COMMAND_LINE, question=question, text="画面", keywords="画面")
    browser_login(page, "leader")
    page.goto(f"/surveys/s/questions/{question.pk}/coding/")
    assert page.get_by_test_id("coding-answer").count() == 4
    # The first answer has focus; Enter takes its suggestion (充電), 2 codes the next as 画面.
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=coding-answer]")).to_have_count(3)
    page.keyboard.press("2")
    expect(page.locator("[data-testid=coding-answer]")).to_have_count(2)
    assert page.get_by_test_id("uncoded-count").inner_text() == "2"
    assert TextAnswer.objects.get(text="充電が大変です").code == charge
    assert TextAnswer.objects.get(text="画面が小さい").code.text == "画面"
    screenshot(page, "surveys-coding")
    # U undoes the last step (画面), the page reloads with it uncoded again.
    page.keyboard.press("u")
    page.wait_for_load_state("networkidle")
    assert TextAnswer.objects.get(text="画面が小さい").code is None
    assert page.get_by_test_id("coding-answer").count() == 3
    # A search's results coded together.
    page.keyboard.press("/")
    page.keyboard.type("充電")
    page.keyboard.press("Enter")
    page.get_by_test_id("bulk-code").select_option(label="充電")
    page.get_by_test_id("bulk-button").click()
    page.wait_for_load_state("networkidle")
    assert TextAnswer.objects.filter(code=charge).count() == 2


@pytest.mark.browser
@pytest.mark.celery_worker
def test_a_large_export_is_previewed_by_the_worker_and_the_page_follows_it(
    celery_worker, page, settings, cast, school_a, tmp_path
):
    """The upload returns at once; the batch page follows the worker's preview and
    opens it when it is ready; saving is followed the same way."""
    settings.IMPORT_INLINE_MAX_BYTES = 10_000
    export = tmp_path / "大きなアンケート.csv"
    export.write_bytes(pupils_export([school_a.name], per_school=[400]))
    assert export.stat().st_size > settings.IMPORT_INLINE_MAX_BYTES

    browser_login(page, "leader")
    page.goto("/surveys/import/")
    page.locator("input[name=file]").set_input_files(str(export))
    page.locator("input[name=slug]").fill("large-2022")
    page.locator("input[name=group]").fill("小学生")
    page.get_by_test_id("preview-button").click()
    # The progress page (or, when the worker was quicker, its preview at once).
    page.wait_for_url("**/surveys/import/preview/*/")
    assert page.get_by_test_id("page-title").inner_text() == "保存前の確認"
    assert "400" in page.get_by_test_id("preview-summary").inner_text()
    assert not Survey.objects.exists()

    page.get_by_test_id("save-button").click()
    page.wait_for_url("**/imports/*/")
    page.get_by_test_id("batch-message").get_by_text("400件").wait_for()
    assert Response.objects.count() == 400
    screenshot(page, "surveys-import-worker-done")
