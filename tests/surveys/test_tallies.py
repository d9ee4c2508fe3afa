"""surveys.tallies: plain functions, no database."""

from decimal import Decimal

import pytest

from surveys.tallies import (
    OTHER,
    Reason,
    crosstab,
    likert_shares,
    percent,
    suppress_groups,
    tally_question,
    top_n,
)


@pytest.mark.parametrize(
    ("count", "base", "expected"),
    [
        (1, 8, "12.5"),
        (1, 16, "6.3"),
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (1, 5, "20.0"),
        (0, 5, "0.0"),
        (49, 400, "12.3"),
        (5, 5, "100.0"),
    ],
)
def test_percent_is_one_decimal_rounded_half_up(count, base, expected):
    assert percent(count, base) == Decimal(expected)
    assert str(percent(count, base)) == expected


def test_a_percent_of_nobody_is_none():
    assert percent(0, 0) is None


# --- Suppression ------------------------------------------------------------------------------------


def test_a_group_of_four_answers_is_hidden():
    result = suppress_groups({"小学生": 4}, threshold=5, total_shown=False)
    assert result.groups == {"小学生": Reason.SMALL}


def test_a_group_of_five_answers_is_shown():
    assert suppress_groups({"小学生": 5}, threshold=5, total_shown=False).groups == {}


def test_with_a_total_one_more_group_is_hidden_so_the_small_one_cannot_be_worked_out():
    result = suppress_groups(
        {"小学生": 300, "中学生": 4, "教職員": 80, "保護者": 120}, threshold=5, total_shown=True
    )
    assert result.groups == {"中学生": Reason.SMALL, "教職員": Reason.COMPLEMENTARY}
    assert result.total is None


def test_hidden_groups_together_must_reach_the_threshold():
    result = suppress_groups({"A": 1, "B": 1, "C": 2, "D": 50}, threshold=5, total_shown=True)
    assert result.groups == {
        "A": Reason.SMALL,
        "B": Reason.SMALL,
        "C": Reason.SMALL,
        "D": Reason.COMPLEMENTARY,
    }
    assert result.total is None


def test_with_two_groups_one_small_both_are_hidden_and_the_total_shown():
    result = suppress_groups({"A": 3, "B": 40}, threshold=5, total_shown=True)
    assert set(result.groups) == {"A", "B"}
    assert result.total is None


def test_a_small_total_hides_everything():
    result = suppress_groups({"A": 1, "B": 2}, threshold=5, total_shown=True)
    assert result.groups == {"A": Reason.SMALL, "B": Reason.SMALL}
    assert result.total is Reason.SMALL


def test_groups_that_were_not_asked_are_not_part_of_the_question():
    assert suppress_groups({"A": 0, "B": 40}, threshold=5, total_shown=True).groups == {}


# --- One question -------------------------------------------------------------------------------------------


def test_it_counts_and_percents_each_group_and_the_total():
    tally = tally_question(
        options=["yes", "no"],
        groups=["E", "J"],
        counts={("E", "yes"): 6, ("E", "no"): 2, ("J", "yes"): 3, ("J", "no"): 9},
        bases={"E": 8, "J": 12},
        threshold=5,
        with_total=True,
    )
    e, j, total = tally.lines
    assert e.rows == (("yes", 6, Decimal("75.0")), ("no", 2, Decimal("25.0")))
    assert total.group is None
    assert total.base == 20
    assert total.rows == (("yes", 9, Decimal("45.0")), ("no", 11, Decimal("55.0")))


def test_checkbox_percents_may_pass_a_hundred():
    tally = tally_question(
        options=["国語", "算数"],
        groups=["E"],
        counts={("E", "国語"): 8, ("E", "算数"): 6},
        bases={"E": 10},
        threshold=5,
        with_total=True,
    )
    assert sum(p for _o, _c, p in tally.lines[0].rows) == Decimal("140.0")
    assert len(tally.lines) == 1  # one group: no total row


def test_a_hidden_group_keeps_its_rows_out_of_the_shown_lines():
    tally = tally_question(
        options=["yes"],
        groups=["E", "J", "T"],
        counts={("E", "yes"): 3, ("J", "yes"): 30, ("T", "yes"): 40},
        bases={"E": 4, "J": 60, "T": 50},
        threshold=5,
        with_total=True,
    )
    assert [line.group for line in tally.shown] == ["J", None]
    assert {line.group: line.hidden for line in tally.hidden} == {
        "E": Reason.SMALL,
        "T": Reason.COMPLEMENTARY,
    }


# --- Top N ------------------------------------------------------------------------------------------------

SEED_REQUESTS = [51, 48, 38, 38, 29, 23, 23, 22, 22, 22]


def test_top_ten_of_the_papers_requests_folds_the_rest_and_the_existing_other_into_404():
    counts = dict(enumerate(SEED_REQUESTS + [21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8]))
    other = len(counts)
    counts[other] = 201
    order = list(counts)
    tally = tally_question(
        options=order,
        groups=["staff"],
        counts={("staff", k): v for k, v in counts.items()},
        bases={"staff": 720},
        threshold=5,
        with_total=True,
        top=10,
        is_other=lambda key: key == other,
    )
    rows = tally.lines[0].rows
    assert [c for _o, c, _p in rows] == [*SEED_REQUESTS, 404]
    assert rows[-1][0] == OTHER
    assert rows[0][2] == Decimal("7.1")


def test_ties_keep_the_options_order():
    ranking = top_n({"a": 2, "b": 3, "c": 3, "d": 1}, 2, order=["a", "b", "c", "d"])
    assert ranking.shown == ("b", "c")
    assert ranking.folded == ("a", "d")


def test_nothing_is_folded_when_everything_fits():
    ranking = top_n({"a": 2, "b": 3}, 10, order=["a", "b"])
    assert ranking.shown == ("b", "a")
    assert not ranking.has_other


# --- Likert and cross-tabulations ----------------------------------------------------------------------------


def test_likert_shares_are_of_the_respondents():
    tally = tally_question(
        options=["とても", "そう", "どちらとも", "あまり", "全く"],
        groups=["E"],
        counts={
            ("E", "とても"): 3,
            ("E", "そう"): 4,
            ("E", "どちらとも"): 1,
            ("E", "あまり"): 1,
            ("E", "全く"): 1,
        },
        bases={"E": 10},
        threshold=5,
        with_total=False,
    )
    shares = likert_shares(
        tally.lines[0], {"とても": 1, "そう": 1, "どちらとも": 0, "あまり": -1, "全く": -1}
    )
    assert (shares.positive, shares.neutral, shares.negative) == (
        Decimal("70.0"),
        Decimal("10.0"),
        Decimal("20.0"),
    )


def test_a_small_cross_tab_cell_is_hidden_with_a_partner_in_its_row_and_column():
    cells = {
        ("E", "校務"): 40,
        ("E", "授業"): 3,
        ("E", "家庭"): 30,
        ("J", "校務"): 20,
        ("J", "授業"): 25,
        ("J", "家庭"): 12,
    }
    table = crosstab(
        rows=["E", "J"],
        columns=["校務", "授業", "家庭"],
        cells=cells,
        row_totals={"E": 73, "J": 57},
        column_totals={"校務": 60, "授業": 28, "家庭": 42},
        total=130,
        threshold=5,
    )
    assert table.cell("E", "授業") is None
    # The row E and the column 授業 each hide another cell, so 3 cannot be recovered.
    row_e = [c for c in ["校務", "授業", "家庭"] if table.cell("E", c) is None]
    column = [r for r in ["E", "J"] if table.cell(r, "授業") is None]
    assert len(row_e) >= 2 and len(column) >= 2
    assert table.hidden_cells[("E", "授業")] is Reason.SMALL


def test_a_cross_tab_of_fewer_respondents_than_the_threshold_shows_nothing():
    table = crosstab(
        rows=["a"],
        columns=["x"],
        cells={("a", "x"): 3},
        row_totals={"a": 3},
        column_totals={"x": 3},
        total=3,
        threshold=5,
    )
    assert table.cell("a", "x") is None
    assert table.hidden_total is Reason.SMALL
