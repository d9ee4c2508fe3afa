"""Coding free text: the codebook, one answer or a search's results at a time, undo;
coded answers count as a choice in every tally and in top N."""

import pytest

from gigaportal import reports
from gigaportal.models import ObjectChange
from gigaportal.scope import COMMAND_LINE
from surveys import services
from surveys.models import Question, TextAnswer
from tests.surveys.factories import OPINION, import_export, pupils_export

pytestmark = pytest.mark.django_db

OPINIONS = {
    0: "充電が大変です",
    1: "画面が小さい",
    2: "充電保管庫がほしい",
    3: "楽しい",
    5: "充電器が足りない",
}


@pytest.fixture
def question(school_a):
    import_export(pupils_export([school_a.name], opinions=OPINIONS), survey="s", group="小学生")
    return Question.objects.get(text=OPINION)


def answer(text):
    return TextAnswer.objects.get(text=text)


def test_a_category_coded_answer_counts_in_the_tally_and_top_n(question, leader):
    charge = services.codebook_add(by=leader, question=question, text="充電", keywords="充電")
    screen = services.codebook_add(by=leader, question=question, text="画面", keywords="画面")
    feeling = services.codebook_add(by=leader, question=question, text="感想")
    services.answers_code_matching(by=leader, question=question, code=charge, query="充電")
    services.answers_code(
        by=leader, question=question, code=screen, answer_ids=[answer("画面が小さい").pk]
    )
    services.answers_code(
        by=leader, question=question, code=feeling, answer_ids=[answer("楽しい").pk]
    )
    report = reports.get("surveys.tally").run(user=COMMAND_LINE, survey="s")
    coded = [row[1:] for row in report.rows if row[0] == OPINION]
    assert [(g, o, c, str(p)) for g, o, c, p in coded] == [
        ("小学生", "充電", 3, "60.0"),
        ("小学生", "画面", 1, "20.0"),
        ("小学生", "感想", 1, "20.0"),
    ]
    top = reports.get("surveys.top").run(user=COMMAND_LINE, survey="s", question=question.pk, n=1)
    assert [row[1:3] for row in top.rows] == [("充電", 3), ("その他", 2)]
    assert top.footer[0][2] == 5


def test_a_search_codes_only_the_uncoded_matches_as_one_step_that_can_be_undone(question, leader):
    charge = services.codebook_add(by=leader, question=question, text="充電")
    other = services.codebook_add(by=leader, question=question, text="その他")
    services.answers_code(
        by=leader, question=question, code=other, answer_ids=[answer("充電器が足りない").pk]
    )
    entries = ObjectChange.objects.count()
    assert (
        services.answers_code_matching(by=leader, question=question, code=charge, query="充電") == 2
    )
    assert ObjectChange.objects.count() == entries + 1
    assert answer("充電器が足りない").code == other
    assert services.coding_undo(by=leader, question=question) == 2
    assert TextAnswer.objects.filter(code=charge).count() == 0
    assert answer("充電器が足りない").code == other
    # The earlier single step is next.
    assert services.coding_undo(by=leader, question=question) == 1
    assert answer("充電器が足りない").code is None
    assert services.coding_undo(by=leader, question=question) == 0


def test_undo_is_the_persons_own(question, leader, admin):
    charge = services.codebook_add(by=leader, question=question, text="充電")
    services.answers_code_matching(by=leader, question=question, code=charge, query="充電")
    assert services.coding_undo(by=admin, question=question) == 0
    assert TextAnswer.objects.filter(code=charge).count() == 3


def test_undoing_an_uncode_keeps_a_colleagues_later_coding(question, leader, admin):
    first = services.codebook_add(by=leader, question=question, text="充電")
    second = services.codebook_add(by=leader, question=question, text="要望")
    target = answer("充電器が足りない")
    services.answers_code(by=leader, question=question, code=first, answer_ids=[target.pk])
    services.answers_code(by=admin, question=question, code=second, answer_ids=[target.pk])
    services.answers_code(by=leader, question=question, code=None, answer_ids=[target.pk])
    services.answers_code(by=admin, question=question, code=first, answer_ids=[target.pk])
    # The leader's last step uncoded it; the admin has coded it since: it stays coded.
    assert services.coding_undo(by=leader, question=question) == 0
    assert answer("充電器が足りない").code == first


@pytest.mark.django_db(transaction=True)
def test_undo_after_its_category_was_deleted_leaves_the_answer_uncoded(question, leader):
    first = services.codebook_add(by=leader, question=question, text="充電")
    second = services.codebook_add(by=leader, question=question, text="要望")
    target = answer("充電器が足りない")
    services.answers_code(by=leader, question=question, code=first, answer_ids=[target.pk])
    services.answers_code(by=leader, question=question, code=second, answer_ids=[target.pk])
    deleted = first.pk
    services.codebook_delete(by=leader, option=first)
    # Undoing the recode would bring back the deleted category: the answer goes back
    # to uncoded (what deleting the category made of it), never to a missing category.
    services.coding_undo(by=leader, question=question)
    assert answer("充電器が足りない").code_id is None
    assert TextAnswer.objects.filter(code_id=deleted).count() == 0


def test_another_questions_category_or_answers_are_refused(question, school_a, leader):
    import_export(
        pupils_export([school_a.name], opinions={0: "別の意見"}), survey="other", group="小学生"
    )
    elsewhere = Question.objects.get(survey__slug="other", text=OPINION)
    foreign = services.codebook_add(by=leader, question=elsewhere, text="よそ")
    with pytest.raises(services.SurveyError):
        services.answers_code(
            by=leader, question=question, code=foreign, answer_ids=[answer("楽しい").pk]
        )
    mine = services.codebook_add(by=leader, question=question, text="感想")
    assert (
        services.answers_code(
            by=leader, question=question, code=mine, answer_ids=[answer("別の意見").pk]
        )
        == 0
    )
    assert answer("別の意見").code is None


def test_deleting_a_category_uncodes_its_answers(question, leader):
    charge = services.codebook_add(by=leader, question=question, text="充電")
    services.answers_code_matching(by=leader, question=question, code=charge, query="充電")
    assert services.codebook_delete(by=leader, option=charge) == 3
    assert not TextAnswer.objects.filter(code__isnull=False).exists()


def test_the_codebook_refuses_a_duplicate_and_an_empty_name(question, leader):
    services.codebook_add(by=leader, question=question, text="充電")
    with pytest.raises(services.SurveyError):
        services.codebook_add(by=leader, question=question, text=" 充電 ")
    with pytest.raises(services.SurveyError):
        services.codebook_add(by=leader, question=question, text="   ")


def test_the_coding_page_codes_by_post_and_answers_json_for_its_script(question, client, leader):
    charge = services.codebook_add(by=leader, question=question, text="充電", keywords="充電")
    client.force_login(leader)
    base = f"/surveys/s/questions/{question.pk}/coding/"
    page = client.get(base)
    assert page.status_code == 200
    assert "充電が大変です" in page.content.decode()
    assert page.content.decode().count("coding-suggested") == 3  # keyword suggestions
    reply = client.post(
        base + "code/",
        {"answer": answer("楽しい").pk, "code": charge.pk},
        headers={"accept": "application/json"},
    )
    assert reply.json()["ok"] is True
    assert reply.json()["uncoded"] == 4
    response = client.post(base + "search/", {"q": "充電", "code": charge.pk})
    assert response.status_code == 302
    assert TextAnswer.objects.filter(code=charge).count() == 4
    assert client.post(base + "undo/").status_code == 302
    assert TextAnswer.objects.filter(code=charge).count() == 1


def test_forged_coding_posts_change_nothing(question, client, leader):
    client.force_login(leader)
    base = f"/surveys/s/questions/{question.pk}/coding/"
    for data in (
        {"answer": "x", "code": "1"},
        {"answer": answer("楽しい").pk, "code": "99999"},
        {"code": "abc"},
        {},
    ):
        assert client.post(base + "code/", data).status_code == 302
    assert client.post(base + "search/", {"q": "", "code": "1"}).status_code == 302
    assert not TextAnswer.objects.filter(code__isnull=False).exists()
    choice = Question.objects.get(survey__slug="s", kind="choice")
    assert client.get(f"/surveys/s/questions/{choice.pk}/coding/").status_code == 404
    assert client.get("/surveys/s/questions/abc/coding/").status_code == 404
