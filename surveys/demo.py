"""Demo surveys (`manage.py load_demo`), imported through the real importer from
generated Google Forms exports and coded through the coding services, so the demo
exercises the same path as a real file.

- The ICT efficiency survey (ICTを活用した校務の効率化アンケート): 935 staff answers,
  2022-11-30 to 2022-12-13, whose tallies are the committee papers' tables exactly:
  practices by category 124/64/145/7 (340), by application Google 215, C4th 23,
  ミライシード 14, Microsoft 8, その他 80, Google apps フォーム 102 … その他 1; and 720
  free-text requests coded so that the top ten are 51, 48, 38, 38, 29, 23, 23, 22, 22,
  22 and the rest その他 404. The practices' descriptions are left uncoded, with a
  small codebook, for the coding page.
- The tablet-use survey (タブレット活用アンケート) in four groups (小学生, 中学生,
  教職員, 保護者) on the four themes, seeded-random and plausible, each group a file of
  its own (the parents' as a Forms download, with 午前/午後 GMT+9 timestamps).

Every run generates the same files; a second run finds the surveys and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Sequence

from gigaportal import imports
from gigaportal.models import ImportBatch, School
from gigaportal.scope import COMMAND_LINE
from surveys import services
from surveys.models import Question, Survey, TextAnswer

SEED = 20221213
ICT_SLUG = "ict-efficiency-2022"
ICT_TITLE = "ICTを活用した校務の効率化アンケート"
TABLET_SLUG = "tablet-use-2022"
TABLET_TITLE = "タブレット活用アンケート"

# --- The ICT efficiency survey: the papers' tables -----------------------------------------

Q_SCHOOL = "学校名"
Q_KIND = "所属（校種）"
Q_HAS = "現在取り組んでいる事例はありますか。"
Q_CATEGORY = "事例の分類"
Q_APP = "使用アプリケーション"
Q_GOOGLE = "使用したGoogleアプリ"
Q_PRACTICE = "取り組んでいる事例を具体的にお書きください。"
Q_REQUEST = "導入してほしいものや仕組み・改善案があればお書きください。"

CATEGORIES = (("校務での利用", 124), ("授業での利用", 64), ("家庭との連携", 145), ("その他", 7))
APPLICATIONS = (
    ("Google", 215),
    ("C4th", 23),
    ("ミライシード", 14),
    ("Microsoft", 8),
    ("その他", 80),
)
GOOGLE_APPS = (
    ("フォーム", 102),
    ("クラスルーム", 77),
    ("ドライブ", 12),
    ("ミート", 7),
    ("カレンダー", 5),
    ("ジャムボード", 4),
    ("スライド", 2),
    ("スプレッドシート", 2),
    ("メール", 1),
    ("チャット", 1),
    ("サイト", 1),
    ("その他", 1),
)
RESPONSES = 935
PRACTICES = 340
REQUESTS = 720

# The requests' codebook: the papers' top ten (their order breaks the ties), then the
# categories the papers fold into その他 (each fewer than the tenth's 22), then その他.
REQUEST_CODES: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    (
        "児童生徒健康観察、欠席連絡電子化",
        51,
        "健康観察 欠席連絡",
        (
            "児童生徒の健康観察をフォームで全校実施できるようにしてほしい。",
            "欠席連絡を電話ではなくデジタルで受け付けたい。",
            "健康観察と欠席連絡を電子化し、朝の電話対応を減らしてほしい。",
        ),
    ),
    (
        "分割ネットワークの見直し、クラウド化、ゼロトラスト",
        48,
        "ネットワーク分割 クラウド ゼロトラスト",
        (
            "校務系と指導者系のネットワーク分割を見直し、クラウド化を進めてほしい。",
            "ゼロトラストの考え方で一台の端末から作業できるようにしてほしい。",
            "ネットワークが分かれていてデータを移せないので、クラウド化してほしい。",
        ),
    ),
    (
        "校務外部系ネットワーク（メール）セキュリティと使い勝手のバランス見直し",
        38,
        "メール 添付 外部系",
        (
            "外部とのメールで添付ファイルが開けず不便なので、セキュリティとのバランスを見直してほしい。",
            "校務外部系のメールが使いにくい。安全性を保ちつつ改善してほしい。",
        ),
    ),
    (
        "各種書類の電子化ペーパーレス",
        38,
        "ペーパーレス 電子化 書類",
        (
            "各種書類を電子化してペーパーレスにしてほしい。",
            "紙で提出している報告書を電子で出せるようにしたい。",
            "押印の必要な書類を減らし、電子で回覧できるようにしてほしい。",
        ),
    ),
    (
        "校務支援システムのデータ連携",
        29,
        "データ連携 校務支援システム C4th",
        (
            "校務支援システムと他のシステムのデータを連携させてほしい。",
            "C4thの名簿を他の業務でもそのまま使えるようにしてほしい。",
        ),
    ),
    (
        "学習者用端末の教員への配備",
        23,
        "教員用 iPad 配備",
        (
            "教員にも児童と同じ学習者用端末を配備してほしい。",
            "授業準備のため、教員用のiPadがもう一台ほしい。",
        ),
    ),
    (
        "預り金関係事務の改善（システム化、電子マネー活用等）",
        23,
        "預り金 集金 電子マネー",
        (
            "預り金の集金をシステム化してほしい。",
            "教材費の集金に電子マネーや口座振替を使えるようにしてほしい。",
        ),
    ),
    (
        "ログイン認証仕様変更（顔認証改善、ログイン負担の軽減）",
        22,
        "ログイン 顔認証 パスワード",
        (
            "顔認証がうまくいかないことが多いので改善してほしい。",
            "何度もログインしなければならない負担を減らしてほしい。",
        ),
    ),
    (
        "ICT関係サポートスタッフの拡充",
        22,
        "支援員 サポート ICT支援",
        (
            "ICT支援員の訪問回数を増やしてほしい。",
            "トラブルの時にすぐ相談できるサポートスタッフを増やしてほしい。",
        ),
    ),
    (
        "教材書式、各種事務書式等の教職員間の共有",
        22,
        "書式 共有 テンプレート",
        (
            "教材や事務書式のテンプレートを学校間で共有できる場がほしい。",
            "よく使う書式を教職員で共有できるようにしてほしい。",
        ),
    ),
    (
        "ネットワーク回線の高速化・安定化",
        21,
        "回線 遅い 通信",
        ("校内の回線が遅いので高速化してほしい。",),
    ),
    (
        "大型提示装置の整備",
        20,
        "大型 提示装置 プロジェクター",
        ("全教室に大型提示装置を整備してほしい。",),
    ),
    (
        "校務用パソコンの更新",
        19,
        "パソコン 更新 校務用",
        ("校務用パソコンの動作が遅いので更新してほしい。",),
    ),
    (
        "プリンター・複合機の改善",
        18,
        "プリンター 複合機 印刷",
        ("端末から直接印刷できるプリンターがほしい。",),
    ),
    (
        "デジタル教科書の拡充",
        17,
        "デジタル教科書",
        ("学習者用デジタル教科書の教科を増やしてほしい。",),
    ),
    ("ICT研修の充実", 16, "研修", ("短時間で受けられるICT研修を増やしてほしい。",)),
    ("成績処理の効率化", 15, "成績 通知表", ("成績処理と通知表作成をもっと効率化してほしい。",)),
    (
        "会議のオンライン化",
        14,
        "オンライン会議 出張",
        ("市の会議をオンラインで参加できるようにしてほしい。",),
    ),
    (
        "保護者連絡ツールの統一",
        13,
        "保護者 連絡ツール",
        ("学校ごとに違う保護者連絡ツールを統一してほしい。",),
    ),
    ("出退勤管理の電子化", 12, "出退勤 勤務時間", ("出退勤の記録を電子化してほしい。",)),
    (
        "学校ホームページ更新の簡素化",
        11,
        "ホームページ",
        ("学校ホームページを簡単に更新できるようにしてほしい。",),
    ),
    ("校内無線LANの改善", 10, "無線LAN Wi-Fi", ("体育館でも無線LANがつながるようにしてほしい。",)),
    (
        "アプリ導入手続きの簡素化",
        9,
        "アプリ 導入 申請",
        ("学習アプリを導入する手続きを簡単にしてほしい。",),
    ),
    ("共有フォルダの整理", 8, "共有フォルダ", ("共有フォルダの構成を市で統一してほしい。",)),
    (
        "その他",
        201,
        "",
        (
            "特になし。",
            "今のままで十分です。",
            "ICTに詳しくない教員への配慮がほしい。",
            "機器のトラブル時の手順書がほしい。",
            "端末の充電保管庫を増やしてほしい。",
            "夏季休業中の端末更新作業を減らしてほしい。",
            "使い方の動画をもっと増やしてほしい。",
            "家庭のネットワーク環境への支援を検討してほしい。",
        ),
    ),
)
assert sum(count for _n, count, _k, _t in REQUEST_CODES) == REQUESTS

# Practices, for the coding page: the papers' typical cases as a small codebook.
PRACTICE_CODES: tuple[tuple[str, str], ...] = (
    ("会議の電子化", "会議 資料 掲示板"),
    ("アンケート・情報集計の電子化", "アンケート 集計"),
    ("職員室黒板から大型ディスプレイへ", "黒板 ディスプレイ 予定"),
    ("家庭との連絡の電子化", "健康観察 欠席 保護者 面談"),
    ("書類のペーパーレス化と情報共有", "ペーパーレス 共有 ドライブ"),
)
PRACTICE_TEXTS = {
    "校務での利用": (
        "職員会議の資料を{app}で共有し、印刷をやめた。",
        "校内アンケートを{app}で集計し、手作業の集計がなくなった。",
        "行事予定を職員室の大型ディスプレイに表示し、黒板に書く手間がなくなった。",
        "{app}の掲示板で連絡し、打ち合わせの時間が短くなった。",
    ),
    "授業での利用": (
        "授業の振り返りを{app}で集め、次の授業に生かしている。",
        "{app}で課題を配付・回収している。",
        "調べ学習のまとめを{app}で共有し、発表に使った。",
    ),
    "家庭との連携": (
        "健康観察と欠席連絡を{app}で受け付け、朝の電話が減った。",
        "三者面談の日程調整を{app}で行った。",
        "学校だよりを{app}で配信し、印刷と仕分けの手間がなくなった。",
        "保護者アンケートを{app}で行い、集計が楽になった。",
    ),
    "その他": ("研修の申し込みを{app}で受け付けた。", "備品の貸出管理を{app}で行っている。"),
}
APP_WORDS = {
    "フォーム": "Googleフォーム",
    "クラスルーム": "Google Classroom",
    "ドライブ": "Googleドライブ",
    "ミート": "Google Meet",
    "カレンダー": "Googleカレンダー",
    "ジャムボード": "Jamboard",
    "スライド": "Googleスライド",
    "スプレッドシート": "Googleスプレッドシート",
    "メール": "Gmail",
    "チャット": "Google Chat",
    "サイト": "Googleサイト",
    "その他": "Googleのアプリ",
    "C4th": "C4th",
    "ミライシード": "ミライシード",
    "Microsoft": "Microsoft Teams",
}

SCHOOL_KINDS = (
    ("幼稚園", 42),
    ("小学校", 548),
    ("中学校", 268),
    ("特別支援学校", 45),
    ("高等学校", 32),
)
KIND_CODES = {"小学校": "E", "中学校": "J", "特別支援学校": "S", "高等学校": "H"}


def _expand(pairs: Sequence[tuple[str, int]]) -> list[str]:
    return [name for name, count in pairs for _ in range(count)]


def _csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """A response sheet saved as CSV from Google Sheets (UTF-8, every cell quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _sheet_time(moment: dt.datetime) -> str:
    """The response sheet's form: 2022/11/30 8:15:03."""
    return f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}:{moment.second:02d}"


def _forms_time(moment: dt.datetime) -> str:
    """The Forms download's form: 2022/11/30 8:15:03 午前 GMT+9 (12-hour clock)."""
    hour = moment.hour % 12 or 12
    half = "午前" if moment.hour < 12 else "午後"
    return (
        f"{moment.year}/{moment.month:02d}/{moment.day:02d} {hour}:{moment.minute:02d}:"
        f"{moment.second:02d} {half} GMT+9"
    )


def _moments(rng: random.Random, count: int, first: dt.date, last: dt.date) -> list[dt.datetime]:
    days = (last - first).days + 1
    moments = []
    for _ in range(count):
        day = first + dt.timedelta(days=rng.randrange(days))
        moments.append(
            dt.datetime(
                day.year,
                day.month,
                day.day,
                rng.choice([7, 8, 12, 15, 16, 17, 18, 19, 20, 21]),
                rng.randrange(60),
                rng.randrange(60),
            )
        )
    return sorted(moments)


def ict_export(schools: dict[str, list[str]]) -> tuple[bytes, list[str]]:
    """The ICT survey's response sheet: 935 rows whose tallies are the papers'; and
    the category each written request was generated from, in row order (the coding
    staff would give it)."""
    rng = random.Random(SEED)
    kinds = _expand(SCHOOL_KINDS)
    rng.shuffle(kinds)
    has = [True] * PRACTICES + [False] * (RESPONSES - PRACTICES)
    rng.shuffle(has)
    categories = _expand(CATEGORIES)
    rng.shuffle(categories)
    applications = _expand(APPLICATIONS)
    rng.shuffle(applications)
    google = _expand(GOOGLE_APPS)
    rng.shuffle(google)
    # Requests: each respondent writes at most one, coded into one category.
    codes = [name for name, count, _k, _t in REQUEST_CODES for _ in range(count)]
    rng.shuffle(codes)
    writes_request = [True] * REQUESTS + [False] * (RESPONSES - REQUESTS)
    rng.shuffle(writes_request)
    texts = {name: variants for name, _c, _k, variants in REQUEST_CODES}
    moments = _moments(rng, RESPONSES, dt.date(2022, 11, 30), dt.date(2022, 12, 13))
    header = [
        "タイムスタンプ",
        Q_SCHOOL,
        Q_KIND,
        Q_HAS,
        Q_CATEGORY,
        Q_APP,
        Q_GOOGLE,
        Q_PRACTICE,
        Q_REQUEST,
    ]
    rows = []
    coded: list[str] = []
    practice = request = google_index = 0
    for index in range(RESPONSES):
        kind = kinds[index]
        code = KIND_CODES.get(kind)
        school = rng.choice(schools[code]) if code else ""
        row = [_sheet_time(moments[index]), school, kind]
        if has[index]:
            category = categories[practice]
            app = applications[practice]
            practice += 1
            google_app = ""
            if app == "Google":
                google_app = google[google_index]
                google_index += 1
            word = APP_WORDS.get(google_app or app, "アプリ")
            text = rng.choice(PRACTICE_TEXTS[category]).format(app=word)
            row += ["ある", category, app, google_app, text]
        else:
            row += ["ない", "", "", "", ""]
        if writes_request[index]:
            category = codes[request]
            request += 1
            row.append(_vary(rng, rng.choice(texts[category])))
            coded.append(category)
        else:
            row.append("")
        rows.append(row)
    return _csv_bytes(header, rows), coded


def _vary(rng: random.Random, text: str) -> str:
    """Respondents write the same wish differently."""
    openings = (
        "",
        "",
        "",
        "できれば、",
        "以前から思っていましたが、",
        "現場の声として、",
        "可能であれば、",
    )
    closings = (
        "",
        "",
        " よろしくお願いします。",
        " 検討をお願いします。",
        " 他校の教員も同じ意見です。",
    )
    return f"{rng.choice(openings)}{text}{rng.choice(closings)}".strip()


# --- The tablet-use survey ------------------------------------------------------------------------

AGREE = ("とてもそう思う", "そう思う", "あまりそう思わない", "そう思わない")
OFTEN = ("ほぼ毎日", "週に数回", "月に数回", "ほとんど使わない")
EFFECT = "タブレットの活用は学習に効果がある（効果が期待できる）と思いますか。"
AT_SCHOOL = "学校でどのくらい使っていますか。"
AT_HOME = "家でどのくらい使っていますか。"
SAVED = "デジタル配信によって手間が減ったと思いますか。"
THEMES = (
    "インターネット検索",
    "画像や動画の利用",
    "学習支援アプリ（個別最適化）",
    "学習支援アプリ（協働的な学習）",
)
SUBJECTS = ("国語", "算数・数学", "理科", "社会", "外国語", "総合的な学習の時間")

# Shares of each answer (in the scale's order) by group and theme: pupils see more
# effect than parents, school use more often than home use.
EFFECT_SHARES = {
    "小学生": ((45, 40, 11, 4), (48, 38, 10, 4), (38, 42, 14, 6), (42, 40, 13, 5)),
    "中学生": ((38, 45, 12, 5), (35, 45, 14, 6), (28, 44, 20, 8), (33, 45, 16, 6)),
    "教職員": ((40, 48, 10, 2), (42, 46, 10, 2)),
    "保護者": ((22, 48, 22, 8), (20, 45, 25, 10)),
}
SCHOOL_USE = {
    "小学生": ((30, 45, 18, 7), (25, 42, 24, 9), (35, 40, 18, 7), (20, 40, 28, 12)),
    "中学生": ((35, 42, 16, 7), (22, 40, 27, 11), (25, 38, 25, 12), (18, 38, 30, 14)),
}
HOME_USE = {
    "小学生": ((12, 30, 30, 28), (10, 25, 30, 35)),
    "中学生": ((18, 32, 28, 22), (12, 26, 30, 32)),
}
SIZES = {"小学生": 480, "中学生": 360, "教職員": 240, "保護者": 360}
TARGETS = {"小学生": 560, "中学生": 420, "教職員": 300, "保護者": 640}
OPINIONS = {
    "教職員": (
        "端末の不具合への対応に時間がかかる。",
        "デジタル配信で印刷の手間が大きく減った。",
        "家庭での使い方のルールを学校全体でそろえたい。",
        "学習支援アプリの使い方の研修がほしい。",
    ),
    "保護者": (
        "家での使い過ぎが心配です。",
        "お便りがスマートフォンで見られて助かります。",
        "宿題がタブレットで出されるので、家庭のWi-Fiが必要になった。",
        "子どもが楽しそうに調べ学習をしています。",
    ),
}


def _pick(rng: random.Random, answers: Sequence[str], shares: Sequence[int]) -> str:
    return rng.choices(answers, weights=shares)[0]


def _pupil_schools(rng: random.Random, codes: list[str], *, first: str) -> list[tuple[str, float]]:
    """The schools taking part and how many of their pupils answered (uneven: a few
    schools have so few answers that their own results are suppressed)."""
    taking_part = [first] + rng.sample([c for c in codes if c != first], 14)
    weights = [4.0] + [rng.choice([0.25, 0.5, 1, 1.5, 2, 3]) for _ in taking_part[1:]]
    return list(zip(taking_part, weights, strict=True))


def tablet_exports(
    names: dict[str, str], codes: dict[str, list[str]]
) -> list[tuple[str, str, bytes]]:
    """(group, file name, bytes) for the four groups' forms."""
    rng = random.Random(SEED + 1)
    files = []
    first = dt.date(2022, 11, 7)
    last = dt.date(2022, 11, 25)
    elementary = _pupil_schools(rng, codes["E"], first="E001")
    junior = _pupil_schools(rng, codes["J"], first="J001")
    for group in ("小学生", "中学生", "教職員", "保護者"):
        size = SIZES[group]
        header = ["タイムスタンプ", "学校名"]
        pupils = group in ("小学生", "中学生")
        if pupils:
            header.append("学年")
        themes = THEMES if pupils else THEMES[:2]
        header += [f"{EFFECT} [{theme}]" for theme in themes]
        if pupils:
            header += [f"{AT_SCHOOL} [{theme}]" for theme in THEMES]
            header += [f"{AT_HOME} [{theme}]" for theme in THEMES[:2]]
            header.append("タブレットをよく使う教科を選んでください（複数回答可）")
        else:
            header += [f"{SAVED} [お便りなどの配信]", f"{SAVED} [アンケートの回収]"]
        if group == "教職員":
            header.append("お便りなどをどのくらいデジタル配信していますか。")
        if group == "保護者":
            header.append("デジタル配信されたお便りを確認していますか。")
            header.append("家庭でタブレットを使うときに気をつけていること（複数回答可）")
        if not pupils:
            header.append("タブレットの活用について、ご意見があればお書きください。")
        sheet = group != "保護者"
        moments = _moments(rng, size, first, last)
        rows = []
        for index in range(size):
            if group == "小学生":
                school = names[rng.choices(*zip(*elementary, strict=True))[0]]
            elif group == "中学生":
                school = names[rng.choices(*zip(*junior, strict=True))[0]]
            elif group == "教職員":
                school = names[rng.choice(codes["E"] + codes["J"] + codes["S"])]
            else:
                pool = elementary if rng.random() < 0.6 else junior
                school = names[rng.choices(*zip(*pool, strict=True))[0]]
            row = [_sheet_time(moments[index]) if sheet else _forms_time(moments[index]), school]
            if pupils:
                row.append(
                    rng.choice(
                        ("4年", "5年", "6年") if group == "小学生" else ("1年", "2年", "3年")
                    )
                )
            for shares in EFFECT_SHARES[group]:
                row.append(_pick(rng, AGREE, shares))
            if pupils:
                for shares in SCHOOL_USE[group]:
                    row.append(_pick(rng, OFTEN, shares))
                for shares in HOME_USE[group]:
                    row.append(_pick(rng, OFTEN, shares))
                ticked = [
                    s
                    for s in SUBJECTS
                    if rng.random() < (0.55 if s != "総合的な学習の時間" else 0.4)
                ]
                row.append(", ".join(ticked or [rng.choice(SUBJECTS)]))
            else:
                shares = (35, 45, 15, 5) if group == "教職員" else (25, 45, 22, 8)
                row.append(_pick(rng, AGREE, shares))
                row.append(
                    _pick(rng, AGREE, (40, 42, 13, 5) if group == "教職員" else (28, 45, 20, 7))
                )
            if group == "教職員":
                row.append(
                    _pick(
                        rng,
                        ("ほぼ毎日", "週に数回", "月に数回", "ほとんどしていない"),
                        (20, 45, 28, 7),
                    )
                )
            if group == "保護者":
                row.append(
                    _pick(
                        rng,
                        (
                            "いつも確認している",
                            "だいたい確認している",
                            "あまり確認していない",
                            "確認していない",
                        ),
                        (48, 34, 13, 5),
                    )
                )
                care = (
                    "使う時間を決めている",
                    "使う場所を決めている",
                    "フィルタリングを設定している",
                    "特にない",
                )
                chosen = [c for c in care[:3] if rng.random() < 0.45]
                # The Forms download joins checkbox answers with ";".
                row.append(";".join(chosen or ["特にない"]))
            if not pupils:
                row.append(rng.choice(OPINIONS[group]) if rng.random() < 0.3 else "")
            rows.append(row)
        name = (
            f"{TABLET_TITLE}（{group}）（回答） - フォームの回答 1.csv"
            if sheet
            else f"{TABLET_TITLE}（{group}）.csv"
        )
        files.append((group, name, _csv_bytes(header, rows)))
    return files


# --- Loading ----------------------------------------------------------------------------------------


def _import(data: bytes, *, name: str, options: dict) -> ImportBatch:
    batch = imports.batch_import(
        kind=services.IMPORT_KIND,
        file=io.BytesIO(data),
        by=COMMAND_LINE,
        name=name,
        options={**options, "file_name": name},
    )
    if batch.status == ImportBatch.Status.FAILED:
        raise RuntimeError(f"demo survey {name} was refused: {batch.errors[:5]}")
    return batch


def load(*, stdout) -> None:
    if Survey.objects.filter(slug__in=[ICT_SLUG, TABLET_SLUG]).exists():
        stdout.write("surveys: the demo surveys are already loaded")
        return
    schools = list(School.objects.values_list("code", "name"))
    names = dict(schools)
    codes: dict[str, list[str]] = {}
    for code, _name in schools:
        codes.setdefault(code[0], []).append(code)
    by_kind = {prefix: [names[c] for c in found] for prefix, found in codes.items()}
    _load_ict(by_kind)
    _load_tablet(names, codes)
    stdout.write(
        f"surveys: {ICT_TITLE} ({RESPONSES} responses, {REQUESTS} requests coded) and "
        f"{TABLET_TITLE} ({sum(SIZES.values())} responses in 4 groups)"
    )


def _load_ict(by_kind: dict[str, list[str]]) -> None:
    data, coded = ict_export(by_kind)
    _import(
        data,
        name=f"{ICT_TITLE}（回答） - フォームの回答 1.csv",
        options={"survey": ICT_SLUG, "title": ICT_TITLE, "fiscal_year": 2022, "group": "教職員"},
    )
    survey = Survey.objects.get(slug=ICT_SLUG)
    services.survey_update(
        by=COMMAND_LINE,
        survey=survey,
        method="Googleフォームによる任意回答",
        target_population=2100,
        notes="対象：市立の幼稚園ならびに小・中・特別支援・高等学校の常勤・非常勤の教職員（約2,100人）",
    )
    requests = Question.objects.get(survey=survey, text=Q_REQUEST)
    categories = {}
    for name, _count, keywords, _texts in REQUEST_CODES:
        categories[name] = services.codebook_add(
            by=COMMAND_LINE, question=requests, text=name, keywords=keywords
        ).pk
    answers = list(
        TextAnswer.objects.filter(question=requests)
        .order_by("response__row_number")
        .values_list("pk", flat=True)
    )
    services.answers_code_many(
        by=COMMAND_LINE,
        question=requests,
        codes={pk: categories[code] for pk, code in zip(answers, coded, strict=True)},
    )
    practices = Question.objects.get(survey=survey, text=Q_PRACTICE)
    for name, keywords in PRACTICE_CODES:
        services.codebook_add(by=COMMAND_LINE, question=practices, text=name, keywords=keywords)
    for question in Question.objects.filter(survey=survey, text__in=[Q_CATEGORY, Q_APP, Q_GOOGLE]):
        _order_as(
            question,
            {Q_CATEGORY: CATEGORIES, Q_APP: APPLICATIONS, Q_GOOGLE: GOOGLE_APPS}[question.text],
        )


def _order_as(question: Question, pairs: Sequence[tuple[str, int]]) -> None:
    """The papers' order of the options (the import orders them by frequency)."""
    rank = {name: index for index, (name, _count) in enumerate(pairs)}
    options = list(question.options.all())
    services.question_update(
        by=COMMAND_LINE,
        question=question,
        kind=question.kind,
        label=question.label,
        is_scale=question.is_scale,
        options=[
            services.OptionInput(
                pk=o.pk, order=rank.get(o.text, len(rank)), label=o.label, polarity=o.polarity
            )
            for o in options
        ],
    )


def _load_tablet(names: dict[str, str], codes: dict[str, list[str]]) -> None:
    for group, name, data in tablet_exports(names, codes):
        _import(
            data,
            name=name,
            options={
                "survey": TABLET_SLUG,
                "title": TABLET_TITLE,
                "fiscal_year": 2022,
                "group": group,
            },
        )
    survey = Survey.objects.get(slug=TABLET_SLUG)
    services.survey_update(
        by=COMMAND_LINE,
        survey=survey,
        method="Googleフォーム（児童生徒・教職員・保護者の別）",
        notes="抽出校の児童生徒（小学4〜6年、中学1〜3年）、教職員、保護者",
    )
    for group in survey.groups.all():
        services.group_update(
            by=COMMAND_LINE, group=group, target_population=TARGETS.get(group.name)
        )
