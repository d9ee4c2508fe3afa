"""surveys.recognize: plain functions, no database."""

import datetime as dt
from collections import Counter

import pytest

from surveys.recognize import (
    Kind,
    Polarity,
    learn_options,
    parse_timestamp,
    recognize_column,
    recognize_scale,
    split_answer,
    split_grid_header,
    suggest_codes,
    unique_keys,
)

JST = dt.timezone(dt.timedelta(hours=9))


# --- Timestamps -------------------------------------------------------------------------------


def test_it_reads_the_response_sheets_timestamp_as_japan_time():
    moment = parse_timestamp("2022/11/30 8:15:03")
    assert moment.utcoffset() == dt.timedelta(hours=9)
    assert moment.astimezone(JST).replace(tzinfo=None) == dt.datetime(2022, 11, 30, 8, 15, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022/11/30 8:15:03 午前 GMT+9", dt.datetime(2022, 11, 30, 8, 15, 3)),
        ("2022/11/30 8:15:03 午後 GMT+9", dt.datetime(2022, 11, 30, 20, 15, 3)),
        ("2022/11/30 12:01:00 午前 GMT+9", dt.datetime(2022, 11, 30, 0, 1, 0)),
        ("2022/11/30 12:01:00 午後 GMT+9", dt.datetime(2022, 11, 30, 12, 1, 0)),
        ("2022/11/30 午後 3:00:00", dt.datetime(2022, 11, 30, 15, 0, 0)),
        ("2022-11-30 08:15:03", dt.datetime(2022, 11, 30, 8, 15, 3)),
        ("２０２２/１１/３０ ８:１５:０３", dt.datetime(2022, 11, 30, 8, 15, 3)),
    ],
)
def test_it_reads_the_forms_downloads_twelve_hour_clock(text, expected):
    assert parse_timestamp(text).astimezone(JST).replace(tzinfo=None) == expected


def test_an_offset_other_than_japans_is_kept():
    moment = parse_timestamp("2022/11/30 8:15:03 AM GMT-5")
    assert moment.astimezone(JST).replace(tzinfo=None) == dt.datetime(2022, 11, 30, 22, 15, 3)


@pytest.mark.parametrize(
    "text", ["", "昨日", "2022/13/01 8:00:00", "2022/11/30 13:00:00 午後", "30/11/2022"]
)
def test_it_refuses_what_is_not_a_timestamp(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


# --- Grid rows and headers --------------------------------------------------------------------


def test_a_grid_header_names_its_question_and_row():
    assert split_grid_header("どのくらい使っていますか。 [インターネット検索]") == (
        "どのくらい使っていますか。",
        "インターネット検索",
    )
    assert split_grid_header("学年") is None


def test_a_header_that_repeats_gets_a_number():
    assert unique_keys(["タイムスタンプ", "その他", "その他", ""]) == [
        "タイムスタンプ",
        "その他",
        "その他 (2)",
        "列4",
    ]


# --- Checkbox answers ----------------------------------------------------------------------------


def test_it_splits_a_checkbox_answer_at_its_options_not_at_every_comma():
    options = {"国語", "図工, 音楽", "理科"}
    assert split_answer("国語, 図工, 音楽, 理科", options) == ["国語", "図工, 音楽", "理科"]


def test_an_option_holding_a_comma_that_is_also_two_options_stays_whole():
    assert split_answer("A, B", {"A", "B", "A, B"}) == ["A, B"]


def test_the_forms_downloads_semicolons_split_too():
    assert split_answer("使う時間を決めている;使う場所を決めている", {"使う時間を決めている"}) == [
        "使う時間を決めている",
        "使う場所を決めている",
    ]


def test_it_learns_options_from_answers_ticked_alone_and_from_their_neighbours():
    splits, ticks = learn_options({"国語": 3, "算数, 理科": 2, "国語, 理科": 1})
    assert splits["算数, 理科"] == ["算数", "理科"]
    assert ticks == {"国語": 4, "算数": 2, "理科": 3}


def test_pieces_that_always_come_together_are_one_option_with_a_comma():
    splits, ticks = learn_options({"はい, 時々": 5, "いいえ": 3})
    assert splits["はい, 時々"] == ["はい, 時々"]
    assert ticks == {"はい, 時々": 5, "いいえ": 3}


# --- Kinds --------------------------------------------------------------------------------------------


def column(header, values, **kwargs):
    return recognize_column(position=1, header=header, values=Counter(values), **kwargs)


def test_the_first_column_of_timestamps_is_the_timestamp():
    guess = column("タイムスタンプ", ["2022/11/30 8:15:03", "2022/11/30 9:15:03"], is_first=True)
    assert guess.kind is Kind.TIMESTAMP


def test_few_distinct_answers_are_a_single_choice():
    guess = column("所属", ["小学校"] * 30 + ["中学校"] * 20 + ["高等学校"] * 2)
    assert guess.kind is Kind.CHOICE
    assert guess.options == ("小学校", "中学校", "高等学校")


def test_joined_answers_are_checkboxes():
    guess = column("教科", ["国語", "算数", "国語, 算数", "理科, 国語"] * 5)
    assert guess.kind is Kind.CHECKBOXES
    assert guess.multiple
    assert set(guess.options) == {"国語", "算数", "理科"}
    assert guess.splits["理科, 国語"] == ("理科", "国語")


def test_many_distinct_answers_are_free_text():
    guess = column(
        "ご意見があればお書きください",
        [f"意見その{i}です。よろしくお願いします。" for i in range(60)],
    )
    assert guess.kind is Kind.FREE_TEXT


def test_long_different_answers_are_free_text_even_when_few():
    answers = [
        "充電が大変なので保管庫を増やしてほしいです。",
        "画面が小さくて見にくいと子どもが言っています。",
        "家でも使いたいのでWi-Fiの案内がほしい。",
    ]
    assert column("その他", answers).kind is Kind.FREE_TEXT


def test_numbers_are_a_number_and_a_short_run_of_small_numbers_is_a_scale():
    assert (
        column(
            "端末の台数", ["12", "30", "7", "45", "120", "16", "88", "41", "63", "25", "19", "300"]
        ).kind
        is Kind.NUMBER
    )
    assert column("満足度", ["1", "2", "3", "4", "5", "3", "4"]).kind is Kind.CHOICE


def test_a_school_column_is_recognised_by_its_header_and_its_answers():
    schools = {"青葉小学校", "第一中学校"}
    guess = column("学校名", ["青葉小学校", "第一中学校"] * 4, is_school=schools.__contains__)
    assert guess.kind is Kind.SCHOOL
    assert (
        column("学校名", ["どこか", "別の"] * 4, is_school=schools.__contains__).kind is Kind.CHOICE
    )


def test_a_grid_row_keeps_its_question_and_row():
    guess = column("使い方 [動画]", ["よく使う", "ときどき使う", "まったく使わない"] * 3)
    assert guess.kind is Kind.GRID_ROW
    assert (guess.grid_title, guess.grid_row) == ("使い方", "動画")
    assert guess.scale is not None


def test_a_kind_already_known_wins_over_the_guess():
    guess = column("所属", ["小学校", "中学校"] * 5, known_kind=Kind.FREE_TEXT)
    assert guess.kind is Kind.FREE_TEXT


def test_options_already_kept_keep_their_order_and_new_ones_follow():
    guess = column(
        "所属",
        ["高等学校", "小学校", "特別支援学校"] * 3,
        known_options=["小学校", "中学校", "高等学校"],
    )
    assert guess.options == ("小学校", "中学校", "高等学校", "特別支援学校")


def test_grades_are_ordered_by_their_number():
    assert column("学年", ["6年"] * 5 + ["4年"] * 3 + ["5年"] * 4).options == ("4年", "5年", "6年")


# --- Scales ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "order", "positive"),
    [
        (
            ["そう思わない", "とてもそう思う", "あまりそう思わない", "そう思う"],
            ["とてもそう思う", "そう思う", "あまりそう思わない", "そう思わない"],
            2,
        ),
        (
            [
                "そう思う",
                "どちらかといえばそう思わない",
                "どちらかといえばそう思う",
                "そう思わない",
            ],
            [
                "そう思う",
                "どちらかといえばそう思う",
                "どちらかといえばそう思わない",
                "そう思わない",
            ],
            2,
        ),
        (
            ["まったく使わない", "よく使う", "あまり使わない", "ときどき使う"],
            ["よく使う", "ときどき使う", "あまり使わない", "まったく使わない"],
            2,
        ),
        (
            ["ほとんど使わない", "月に数回", "ほぼ毎日", "週に数回"],
            ["ほぼ毎日", "週に数回", "月に数回", "ほとんど使わない"],
            2,
        ),
        (
            ["満足", "とても満足", "どちらともいえない", "不満", "とても不満"],
            ["とても満足", "満足", "どちらともいえない", "不満", "とても不満"],
            2,
        ),
        (
            [
                "確認していない",
                "いつも確認している",
                "だいたい確認している",
                "あまり確認していない",
            ],
            [
                "いつも確認している",
                "だいたい確認している",
                "あまり確認していない",
                "確認していない",
            ],
            2,
        ),
    ],
)
def test_common_japanese_scales_are_recognised_with_order_and_polarity(answers, order, positive):
    scale = recognize_scale(answers)
    assert scale is not None
    assert list(scale.options) == order
    assert len(scale.positive()) == positive
    assert scale.polarity[order[-1]] is Polarity.NEGATIVE


def test_a_neutral_answer_is_neutral():
    scale = recognize_scale(["そう思う", "どちらともいえない", "そう思わない"])
    assert scale.polarity["どちらともいえない"] is Polarity.NEUTRAL


@pytest.mark.parametrize(
    "answers",
    [
        ["はい", "いいえ"],
        ["ある", "ない"],
        ["校務での利用", "授業での利用", "その他"],
        ["1", "2", "3"],
    ],
)
def test_yes_no_and_plain_categories_are_not_scales(answers):
    assert recognize_scale(answers) is None


# --- Coding suggestions ------------------------------------------------------------------------------------


def test_it_suggests_the_categories_whose_keywords_an_answer_contains():
    categories = [(1, ["健康観察", "欠席"]), (2, ["ネットワーク"]), (3, ["欠席連絡"])]
    assert suggest_codes("欠席連絡と健康観察を電子化してほしい", categories) == [1, 3]
    assert suggest_codes("特になし", categories) == []


def test_other_answers_are_recognised_with_or_without_a_note():
    from surveys.recognize import is_other

    assert is_other("その他") and is_other("その他（具体的に）") and not is_other("そのまま")
    assert column("分類", ["その他(具体的に)"] * 9 + ["校務"] * 3).options[-1] == "その他(具体的に)"


# --- Columns with more distinct answers than the import keeps --------------------------------------


def many(**figures):
    from surveys.recognize import ManyAnswers

    return ManyAnswers(**figures)


def test_a_column_with_too_many_answers_to_keep_is_never_a_single_choice():
    from surveys.recognize import recognize_many

    sample = Counter({f"意見{n}": 1 for n in range(50)})
    guess = recognize_many(
        position=5, header="感想", sample=sample, many=many(answered=9000, pieces=None)
    )
    assert (guess.kind, guess.many, guess.answered, guess.too_many) == (
        Kind.FREE_TEXT,
        True,
        9000,
        False,
    )
    chosen = recognize_many(
        position=5,
        header="感想",
        sample=sample,
        many=many(answered=9000, pieces=None),
        known_kind=Kind.CHOICE,
    )
    assert chosen.too_many  # the import refuses it, naming the column


def test_timestamps_numbers_and_schools_are_read_from_every_answers_counts():
    from surveys.recognize import recognize_many

    sample = Counter({"2022/11/30 8:00:00": 1})
    timestamp = recognize_many(
        position=1,
        header="タイムスタンプ",
        sample=sample,
        many=many(answered=9000, timestamps=8990),
        is_first=True,
    )
    assert timestamp.kind is Kind.TIMESTAMP
    number = recognize_many(
        position=2,
        header="金額",
        sample=Counter({"12": 1}),
        many=many(answered=9000, numbers_only=True),
    )
    assert number.kind is Kind.NUMBER
    school = recognize_many(
        position=3,
        header="学校名",
        sample=Counter({"青葉小": 1}),
        many=many(answered=10, schools=9),
    )
    assert school.kind is Kind.SCHOOL


def test_checkboxes_with_many_combinations_take_their_options_from_the_pieces():
    from surveys.recognize import recognize_many

    pieces = {"国語": 5000, "算数": 4000, "理科": 3000, "その他": 10}
    guess = recognize_many(
        position=4,
        header="よく使う教科",
        sample=Counter({"国語, 算数": 3}),
        many=many(answered=8000, joined=True, pieces=pieces),
    )
    assert (guess.kind, guess.multiple, guess.too_many) == (Kind.CHECKBOXES, True, False)
    assert guess.options == ("国語", "算数", "理科", "その他")
    assert guess.splits == {}  # split as the answers come, against these options
