"""The security rules over plain values: no database."""

import datetime as dt
from types import SimpleNamespace

import pytest

from security import rules
from security.rules import Change, Check, Checklist, Decision, RequestStatus, VersionFacts

APPROVED, DRAFT = rules.VersionStatus.APPROVED, rules.VersionStatus.DRAFT
DAY = dt.date(2023, 4, 1)


# --- The freeze rule ----------------------------------------------------------------------------


def test_an_approved_version_is_frozen_from_its_effective_day():
    version = VersionFacts(APPROVED, DAY)
    assert not rules.is_frozen(version, today=DAY - dt.timedelta(days=1))
    assert rules.is_frozen(version, today=DAY)
    assert rules.is_frozen(version, today=DAY + dt.timedelta(days=400))


def test_a_draft_is_never_frozen_even_with_a_past_date():
    assert not rules.is_frozen(VersionFacts(DRAFT, dt.date(2000, 1, 1)), today=DAY)
    assert not rules.is_frozen(VersionFacts(DRAFT, None), today=DAY)


def test_check_editable_refuses_a_frozen_version_with_its_code():
    with pytest.raises(rules.Refused) as refused:
        rules.check_editable(VersionFacts(APPROVED, DAY), today=DAY)
    assert refused.value.code == rules.REFUSAL_FROZEN


@pytest.mark.parametrize(
    ("facts", "approved_on", "dates", "code"),
    [
        (VersionFacts(APPROVED, DAY), DAY, [], rules.REFUSAL_NOT_DRAFT),
        (VersionFacts(DRAFT, None), DAY, [], rules.REFUSAL_NO_DATE),
        (VersionFacts(DRAFT, DAY), DAY + dt.timedelta(days=1), [], rules.REFUSAL_BEFORE_APPROVAL),
        (VersionFacts(DRAFT, DAY), DAY, [DAY], rules.REFUSAL_SAME_DAY),
    ],
    ids=["not-a-draft", "no-date", "before-approval", "same-day"],
)
def test_approval_refusals(facts, approved_on, dates, code):
    with pytest.raises(rules.Refused) as refused:
        rules.check_approval(facts, approved_on=approved_on, approved_dates=dates)
    assert refused.value.code == code


def test_a_draft_with_a_free_future_date_is_approved():
    rules.check_approval(
        VersionFacts(DRAFT, DAY), approved_on=DAY, approved_dates=[DAY.replace(year=2020)]
    )


def test_an_approved_upcoming_version_moves_only_to_a_day_still_to_come():
    version = VersionFacts(APPROVED, DAY)
    today = dt.date(2023, 3, 25)
    rules.check_reschedule(
        version, new_date=DAY + dt.timedelta(days=1), approved_on=today, today=today
    )
    with pytest.raises(rules.Refused) as refused:
        rules.check_reschedule(
            version, new_date=today, approved_on=dt.date(2023, 3, 1), today=today
        )
    assert refused.value.code == rules.REFUSAL_PAST_DATE


# --- Text -------------------------------------------------------------------------------------


def test_paragraphs_are_the_non_empty_lines():
    assert rules.paragraphs("  第一項。\n\n第二項。 \n") == ["第一項。", "第二項。"]


def test_citations_name_the_article_and_a_later_paragraph():
    assert rules.citation(5) == "第5条"
    assert rules.citation(5, 1) == "第5条"
    assert rules.citation(5, 2) == "第5条第2項"
    assert rules.paragraph_mark(1) == ""
    assert rules.paragraph_mark(2) == "２"
    assert rules.paragraph_mark(12) == "１２"
    assert rules.anchor(5, 2) == "a5-2"


def test_reason_items_take_their_details_from_the_lines_below():
    text = "（ア）端末の管理\n・パターンファイル\n・ふるまい検知\n（イ）１人１台端末\n・学校外"
    assert rules.items(text) == [
        rules.Item("（ア）端末の管理", ("パターンファイル", "ふるまい検知")),
        rules.Item("（イ）１人１台端末", ("学校外",)),
    ]


def test_a_detail_with_no_item_above_is_an_item_and_an_empty_mark_is_dropped():
    assert rules.items("・単独の項目\n・\n用語を定義。") == [
        rules.Item("単独の項目"),
        rules.Item("用語を定義。"),
    ]


# --- Diff ---------------------------------------------------------------------------------------


def _section(article, *paragraphs, heading="見出し"):
    return rules.SectionText(article, heading, tuple(paragraphs))


def test_the_diff_names_articles_added_removed_changed_and_unchanged():
    before = [_section(1, "目的。"), _section(2, "定義。"), _section(3, "削除される条。")]
    after = [_section(1, "目的。"), _section(2, "定義を改めた。"), _section(4, "新しい条。")]
    diffs = rules.diff_sections(before, after)
    assert [(d.article, d.change) for d in diffs] == [
        (1, Change.SAME),
        (2, Change.CHANGED),
        (3, Change.REMOVED),
        (4, Change.ADDED),
    ]
    assert rules.diff_counts(diffs) == {
        Change.SAME: 1,
        Change.ADDED: 1,
        Change.REMOVED: 1,
        Change.CHANGED: 1,
    }
    assert diffs[1].citation == "第2条"


def test_a_changed_paragraph_marks_the_characters_deleted_and_inserted():
    [diff] = rules.diff_sections(
        [_section(5, "不正プログラム対策ソフトウェアを導入する。")],
        [_section(5, "ふるまい検知による対策を導入する。")],
    )
    [paragraph] = diff.paragraphs
    assert paragraph.change is Change.CHANGED
    old = "".join(s.text for s in paragraph.before)
    new = "".join(s.text for s in paragraph.after)
    assert old == "不正プログラム対策ソフトウェアを導入する。"
    assert new == "ふるまい検知による対策を導入する。"
    assert any(s.kind == "del" for s in paragraph.before)
    assert any(s.kind == "ins" and "ふるまい検知" in s.text for s in paragraph.after)
    assert "".join(s.text for s in paragraph.after if s.kind == "same").endswith("を導入する。")


def test_an_inserted_paragraph_is_added_and_the_rest_keep_their_numbers():
    [diff] = rules.diff_sections(
        [_section(2, "校務系。", "学習系。")],
        [_section(2, "校務系。", "学習系。", "指導者系。")],
    )
    assert [(p.change, p.before_number, p.after_number) for p in diff.paragraphs] == [
        (Change.SAME, 1, 1),
        (Change.SAME, 2, 2),
        (Change.ADDED, None, 3),
    ]


def test_a_new_heading_alone_is_a_change():
    [diff] = rules.diff_sections(
        [_section(1, "同じ。", heading="旧")], [_section(1, "同じ。", heading="新")]
    )
    assert diff.change is Change.CHANGED and diff.heading_changed


# --- Trees ---------------------------------------------------------------------------------------


def _node(pk, parent=None, order=1, position=""):
    return SimpleNamespace(pk=pk, parent_id=parent, order=order, position=position or f"n{pk}")


def test_tree_rows_put_each_box_under_its_parent_in_order():
    nodes = [_node(3, 1, order=2), _node(1), _node(2, 1, order=1), _node(4, 2)]
    rows = rules.tree_rows(nodes)
    assert [(r.depth, r.node.pk, r.parent.pk if r.parent else None) for r in rows] == [
        (1, 1, None),
        (2, 2, 1),
        (3, 4, 2),
        (2, 3, 1),
    ]


def test_a_box_in_a_loop_or_with_a_lost_parent_is_drawn_at_the_top_not_lost():
    nodes = [_node(1, 2), _node(2, 1), _node(3, 99), _node(4, 4)]
    rows = rules.tree_rows(nodes)
    assert sorted(r.node.pk for r in rows) == [1, 2, 3, 4]
    assert {r.node.pk for r in rows if r.depth == 1} >= {3, 4}


def test_makes_loop_sees_a_box_under_its_own_descendant():
    parents = {1: None, 2: 1, 3: 2}
    assert rules.makes_loop(parents, 1, 3)
    assert rules.makes_loop(parents, 2, 2)
    assert not rules.makes_loop(parents, 3, 1)


def test_nest_turns_rows_into_nested_items():
    rows = rules.tree_rows([_node(1), _node(2, 1), _node(3, 2), _node(4, 1, order=2)])
    [top] = rules.nest(rows)
    assert top.node.pk == 1
    assert [c.node.pk for c in top.children] == [2, 4]
    assert [c.node.pk for c in top.children[0].children] == [3]


# --- Software requests -------------------------------------------------------------------------

ALL_OK = Checklist(Check.OK, Check.OK, Check.OK)


def _review(
    checks=ALL_OK,
    decision=Decision.APPROVE,
    conditions="",
    notes="",
    status=RequestStatus.UNDER_REVIEW,
):
    return rules.review(
        status=status, checks=checks, decision=decision, conditions=conditions, notes=notes
    )


def test_without_a_decision_the_checklist_is_kept_and_the_request_stays_under_review():
    assert _review(checks=Checklist(), decision=None) is RequestStatus.UNDER_REVIEW


def test_approval_needs_every_check_and_no_problem():
    assert _review() is RequestStatus.APPROVED
    for checks, code in [
        (Checklist(Check.OK, Check.PENDING, Check.OK), rules.REFUSAL_UNCHECKED),
        (Checklist(Check.OK, Check.PROBLEM, Check.OK), rules.REFUSAL_PROBLEM),
    ]:
        with pytest.raises(rules.Refused) as refused:
            _review(checks=checks)
        assert refused.value.code == code


def test_a_conditional_check_needs_its_conditions_written():
    checks = Checklist(Check.CONDITIONAL, Check.OK, Check.OK)
    with pytest.raises(rules.Refused) as refused:
        _review(checks=checks, conditions="  ")
    assert refused.value.field == "conditions"
    assert _review(checks=checks, conditions="当該校の組織部門に限る。") is RequestStatus.APPROVED


def test_a_refusal_needs_its_reason_and_a_decided_request_is_final():
    with pytest.raises(rules.Refused):
        _review(decision=Decision.REJECT)
    assert _review(decision=Decision.REJECT, notes="規約に問題") is RequestStatus.REJECTED
    with pytest.raises(rules.Refused) as refused:
        _review(status=RequestStatus.APPROVED, decision=None)
    assert refused.value.code == rules.REFUSAL_DECIDED
