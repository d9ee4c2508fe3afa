"""Demo data for security and governance (`manage.py load_demo`), from sections 5–7
of the seed papers.

- The information-security policy (教育情報系) before and after its revision of
  2023-04-01, with the papers' three reasons and their items. The articles' wording is
  the demo's own (the papers give only the reasons); what changed follows them.
- Charts `security` (the six levels, before and after the reorganisation of
  2023-04-01), `csirt` (four members, from 2023-04-01) and `committee` (FY2022 with
  its three working groups; FY2023 with their members, duties, meetings and systems).
  The earlier holders (未来創造部長; no 教育支援課長) are read from the words the
  papers' drawing strikes through.
- The ICT infrastructure group's four topics (ｱ)–(ｴ), reported at the committee of
  2023-01-19 (the papers' date).
- Two software requests (one approved with conditions, one under review) and the
  acknowledgements of some schools (not the demo logins' schools, whose home pages
  then ask them to acknowledge).

Dates the papers do not give (approval days, the earlier versions' start) are the
demo's assumptions. A second run changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gigaportal import changelog
from gigaportal.models import School, User
from gigaportal.scope import COMMAND_LINE
from security import rules, services
from security.models import (
    Acknowledgement,
    ChartKind,
    CheckResult,
    Cost,
    DocumentKind,
    LinkKind,
    OrgChart,
    OrgNode,
    PolicyDocument,
    ReasonCategory,
    SoftwareRequest,
    TopicStatus,
    WorkingGroupTopic,
)
from security.services import LinkSpec, NodeSpec, ReasonInput, SectionInput

POLICY_TITLE = "情報セキュリティポリシー（教育情報系）"
BEFORE = dt.date(2020, 4, 1)
REVISION = dt.date(2023, 4, 1)
FY2022 = dt.date(2022, 4, 1)
COMMITTEE_MEETING = dt.date(2023, 1, 19)

GENERAL, ORGANISATION, MEASURES = "第1章 総則", "第2章 組織体制", "第3章 情報セキュリティ対策"

SECTIONS_BEFORE = [
    SectionInput(
        1,
        "この対策基準は、教育委員会が所管する教育情報システム及び学校の情報資産を守るため、"
        "情報セキュリティ対策の基準を定める。",
        "目的",
        GENERAL,
    ),
    SectionInput(
        2,
        "この基準において「校務系」とは、児童生徒の個人情報を扱う校務用のネットワーク及び"
        "システムをいう。\n"
        "この基準において「学習系」とは、児童生徒及び教職員が学習活動に利用するネットワーク"
        "及びシステムをいう。",
        "定義",
        GENERAL,
    ),
    SectionInput(
        3,
        "最高情報セキュリティ責任者は、副市長をもって充てる。\n"
        "統括教育情報セキュリティ責任者は、教育長をもって充てる。\n"
        "教育情報セキュリティ責任者は、教育次長、指導担当次長及び未来創造部長をもって充てる。\n"
        "教育情報システム管理者は、総務課長、学校教育課長、青少年課長、総合教育プラザ館長、"
        "学務管理課長及び情報政策課長をもって充てる。\n"
        "教育情報セキュリティ管理者は、各学校（園）長等をもって充てる。",
        "組織体制",
        ORGANISATION,
    ),
    SectionInput(
        4,
        "情報資産は、機密性、完全性及び可用性に応じて分類し、分類に応じて管理する。",
        "情報資産の分類と管理",
        MEASURES,
    ),
    SectionInput(
        5,
        "教職員等が利用する端末には、不正プログラム対策ソフトウェアを導入し、常に最新の状態に"
        "保つ。\n"
        "電磁的記録媒体は、教育情報セキュリティ管理者の許可を得て利用する。",
        "教職員等の利用する端末や電磁的記録媒体等の管理",
        MEASURES,
    ),
    SectionInput(
        6,
        "情報システムへのアクセスは、利用者ごとの認証により制御する。",
        "アクセス制御",
        MEASURES,
    ),
    SectionInput(
        7,
        "情報セキュリティインシデントを認知した者は、直ちに教育情報セキュリティ管理者に報告する。",
        "情報セキュリティインシデントへの対応",
        MEASURES,
    ),
]

SECTIONS_AFTER = [
    SECTIONS_BEFORE[0],
    SectionInput(
        2,
        "この基準において「校務系」とは、児童生徒の個人情報を扱う校務用のネットワーク及び"
        "システムをいう。\n"
        "この基準において「学習系」とは、児童生徒及び教職員が学習活動に利用するネットワーク"
        "及びシステムをいう。\n"
        "この基準において「指導者系」とは、教職員が授業の準備及び指導に利用する、インターネットに"
        "接続するネットワーク及び端末をいう。\n"
        "この基準において「校務外部系」とは、校務のうち電子メール等による外部との連絡に利用する"
        "ネットワーク及びシステムをいう。",
        "定義",
        GENERAL,
    ),
    SectionInput(
        3,
        "最高情報セキュリティ責任者は、副市長をもって充てる。\n"
        "統括教育情報セキュリティ責任者は、教育長をもって充てる。\n"
        "教育情報セキュリティ責任者は、教育次長、指導担当次長及びデジタル政策担当部長をもって"
        "充てる。\n"
        "教育情報システム管理者は、総務課長、学校教育課長、青少年課長、総合教育プラザ館長、"
        "学務管理課長、教育支援課長及び情報政策課長をもって充てる。\n"
        "教育情報セキュリティ管理者は、各学校（園）長等をもって充てる。\n"
        "情報セキュリティインシデントに対処するため、CSIRTを置く。CSIRTは、デジタル政策担当部長を"
        "責任者とし、指導担当次長、情報政策課長及び学校教育課長で構成する。\n"
        "情報セキュリティに関する統一的な窓口を情報政策課内に置く。",
        "組織体制",
        ORGANISATION,
    ),
    SECTIONS_BEFORE[3],
    SectionInput(
        5,
        "教職員等が利用する端末には、パターンファイルから検出する手法及びふるまい検知による手法に"
        "より不正プログラムを検知する対策を講じ、常に最新の状態に保つ。\n"
        "電磁的記録媒体は、教育情報セキュリティ管理者の許可を得て利用する。\n"
        "不適切なウェブページの閲覧を防止する対策を講じる。",
        "教職員等の利用する端末や電磁的記録媒体等の管理",
        MEASURES,
    ),
    SECTIONS_BEFORE[5],
    SectionInput(
        7,
        "情報セキュリティインシデントを認知した者は、直ちに教育情報セキュリティ管理者に報告し、"
        "教育情報セキュリティ管理者はCSIRTに報告する。",
        "情報セキュリティインシデントへの対応",
        MEASURES,
    ),
    SectionInput(
        8,
        "GIGAスクール構想により整備した１人１台の学習者用端末は、学校内外で利用することを前提に、"
        "フィルタリング及び端末管理による対策を講じる。\n"
        "学習者用端末を学校外で利用する際の遵守事項は、別に定める。",
        "１人１台端末におけるセキュリティ",
        MEASURES,
    ),
]

REASONS = [
    ReasonInput(
        ReasonCategory.NATIONAL_GUIDELINE,
        "文部科学省による『教育情報セキュリティポリシーに関するガイドライン』の改定による改定",
        "（ア）教職員等の利用する端末や電磁的記録媒体等の管理\n"
        "・パターンファイルから検出する手法、ふるまい検知による手法を追記。\n"
        "・不適切なウェブページの閲覧の防止策を講じる旨を追加。\n"
        "（イ）１人１台端末におけるセキュリティ\n"
        "・GIGAスクール構想における１人１台端末の整備に伴い、学校内外で利用する学習者用端末に"
        "対してのセキュリティ対策を追加。\n"
        "（ウ）組織体制\n"
        "・CSIRTについて、その説明を追加。",
    ),
    ReasonInput(
        ReasonCategory.PLATFORM,
        "情報教育基盤入れ替えによる改定",
        "指導者系、校務外部系等の用語を定義。",
    ),
    ReasonInput(
        ReasonCategory.ORGANISATION,
        "機構改革による改定",
        "学校教育課の再編、教育支援課の新設等による機構改革による改定。",
    ),
]

# The six levels of the security organisation: (position, holders).
SECURITY_LEVELS_BEFORE = [
    ("最高情報セキュリティ責任者", ["副市長"]),
    ("統括教育情報セキュリティ責任者", ["教育長"]),
    ("教育情報セキュリティ責任者", ["教育次長", "指導担当次長", "未来創造部長"]),
    (
        "教育情報システム管理者",
        [
            "総務課長",
            "学校教育課長",
            "青少年課長",
            "総合教育プラザ館長",
            "学務管理課長",
            "情報政策課長",
        ],
    ),
    ("教育情報セキュリティ管理者", ["各学校（園）長等"]),
    ("教育情報システム担当者", []),
]
SECURITY_LEVELS = [
    ("最高情報セキュリティ責任者", ["副市長"]),
    ("統括教育情報セキュリティ責任者", ["教育長"]),
    ("教育情報セキュリティ責任者", ["教育次長", "指導担当次長", "デジタル政策担当部長"]),
    (
        "教育情報システム管理者",
        [
            "総務課長",
            "学校教育課長",
            "青少年課長",
            "総合教育プラザ館長",
            "学務管理課長",
            "教育支援課長",
            "情報政策課長",
        ],
    ),
    ("教育情報セキュリティ管理者", ["各学校（園）長等"]),
    ("教育情報システム担当者", []),
]


def _chain(levels, links=None) -> list[NodeSpec]:
    """The levels as a chain, each under the one above."""
    links = links or {}
    node = None
    for position, holders in reversed(levels):
        node = NodeSpec(
            position,
            holders=holders,
            links=links.get(position, ()),
            children=(node,) if node else (),
        )
    return [node]


def committee_fy2022() -> list[NodeSpec]:
    return [
        NodeSpec(
            "教育情報システム利活用推進委員会",
            holders=["総務課（主管）"],
            duties=["教育情報利活用の推進", "部会のとりまとめ"],
            children=[
                NodeSpec("ＩＣＴ基盤整備部会"),
                NodeSpec("校務支援部会"),
                NodeSpec("授業支援部会"),
            ],
        )
    ]


def committee_fy2023() -> list[NodeSpec]:
    meeting, system, work = LinkKind.MEETING, LinkKind.SYSTEM, LinkKind.WORK
    return [
        NodeSpec(
            "教育情報システム利活用推進委員会",
            holders=["総務課（主管）"],
            members=[
                "教育長",
                "両次長",
                "教委の各所属長",
                "情報政策課長",
                "校長会代表",
                "教頭会代表",
                "外部専門家",
            ],
            duties=["教育情報利活用の推進", "部会のとりまとめ"],
            children=[
                NodeSpec(
                    "部会間の調整（必要に応じて開催）",
                    holders=["担当課（主管）"],
                    members=["両次長", "関係所属長"],
                    duties=["各部会の課題協議及び調整"],
                ),
                NodeSpec(
                    "ＩＣＴ基盤整備部会",
                    members=[
                        "学校教育課長",
                        "情報政策課長",
                        "総務課長",
                        "学務管理課長",
                        "教育支援課長",
                        "外部専門家",
                    ],
                    duties=[
                        "システム全体の統括",
                        "委託事業者の管理・監督",
                        "市情報セキュリティと連携",
                        "学校側のニーズの把握",
                        "学校現場の状況把握",
                    ],
                    links=[
                        LinkSpec(meeting, "情報教育主任会（情報教育推進係、指導係、教育研修係）"),
                        LinkSpec(meeting, "学校代表者会議"),
                        LinkSpec(system, "Google Workspace for Education"),
                        LinkSpec(work, "学校機器選定"),
                        LinkSpec(work, "セキュリティ研修"),
                    ],
                    children=[
                        NodeSpec(
                            "企画設計・構築会議（Ｄ／Ｃ構築・開発時の臨時プロジェクト会議）",
                            members=[
                                "学校教育・情報政策・学務管理の担当係長及び係員",
                                "委託事業者",
                            ],
                        ),
                        NodeSpec(
                            "運用管理会議（通常時の連絡調整会議）",
                            members=["学校教育・情報政策の担当係長及び係員", "委託事業者"],
                        ),
                    ],
                ),
                NodeSpec(
                    "授業支援部会",
                    members=["学校教育課長", "教育支援課長"],
                    duties=["ICT活用による授業改善・支援", "情報教育及び研修"],
                    links=[
                        LinkSpec(meeting, "情報教育主任会（指導係、教育研修係、情報教育推進係）"),
                        LinkSpec(meeting, "教科等主任会（指導係、教育研修係）"),
                        LinkSpec(system, "Google Workspace for Education"),
                        LinkSpec(work, "タブレット活用"),
                        LinkSpec(work, "デジタル教科書"),
                        LinkSpec(work, "Webページ更新"),
                    ],
                ),
                NodeSpec(
                    "校務支援部会",
                    members=["学務管理課長", "学校教育課長", "総務課長"],
                    duties=["学校現場の課題把握と解決", "校務のDX"],
                    links=[
                        LinkSpec(meeting, "事務職員会（教職員係、学校財務係）"),
                        LinkSpec(meeting, "養護教諭会（学校保健係）"),
                        LinkSpec(system, "財務会計システム"),
                        LinkSpec(system, "給与・旅費システム"),
                        LinkSpec(system, "校務支援システム"),
                        LinkSpec(system, "スポ振システム"),
                        LinkSpec(system, "緊急メールシステム"),
                    ],
                ),
                NodeSpec(
                    "教育情報連絡調整会議（学校側）",
                    members=["校長会代表者", "教頭会代表", "情報教育主任会代表 他"],
                ),
            ],
        )
    ]


TOPICS = [
    (
        "シングルサインオンによる効率化の向上",
        TopicStatus.DECIDED,
        "増加する学習ソフトウェア等に係る教職員の負担軽減のため、１度のユーザー認証によって複数の"
        "システムの利用が可能となる仕組み「シングルサインオン」の導入を推進することを決定。\n"
        "Googleアカウントを活用して、一つの入口から複数の学習ソフトウェアをまとめて活用できる学習"
        "eポータル「L-Gate」の利用を開始した。また、学習ソフトウェア「ミライシード」についても"
        "Googleアカウントでのシングルサインオンを開始した。\n"
        "文部科学省の学習者用デジタル教科書実証事業では、教科書会社が異なることで複数のアカウントの"
        "管理が必要となり教職員の負担増加が懸念されたが、「L-Gate」の導入により、学習者用デジタル"
        "教科書を一つの入口からシンプルに活用することが可能となった。",
    ),
    (
        "教職員端末の学校外の活用について",
        TopicStatus.CONTINUING,
        "運用ルールの策定が必要との意見があり、継続して事例や意見を集め検討していくこととした。",
    ),
    (
        "学校毎学習ソフトウェア導入について",
        TopicStatus.UNDER_DISCUSSION,
        "学校独自の学習ソフトウェアを導入したいとの要望を受け、学校別に指導者端末等にブラウザ版の"
        "ソフトウェアの導入希望があった場合の取扱いを検討した。\n"
        "全校利用しない場合のシングルサインオン利用希望に係るGoogle Workspaceの設定変更と"
        "セキュリティのバランスの問題や、無償提供のサービスに係るセキュリティの取扱いに課題がある"
        "ことを確認した。\n"
        "今後、各学校の導入希望に対応しながら、事例や意見を集めて、運用ルールの策定を目指すことと"
        "した。",
    ),
    (
        "次期教育情報基盤の調達について",
        TopicStatus.DECIDED,
        "現在の教育情報基盤の課題や次期教育情報基盤に求める要件を部会で話し合い、本委員会各部会を"
        "通じて学校現場等からの意見を集約し、令和８年１０月の正式稼働を目指すこととした。\n"
        "議論の中で、校務系（個人情報系）、指導者系（インターネット系）等、ネットワークを分割して"
        "運用することで、何度もログイン認証しなければならない労力の負担や、ネットワーク間でデータ"
        "連携が行えない等の課題が提起された。\n"
        "また、クラウド化やゼロトラストの考え方が必要ではないかとの意見や、校務系ネットワークの"
        "あり方について、国や他の地方自治体の動向を注視しながら慎重に判断する必要があるのでは"
        "ないか、との意見があった。",
    ),
]
TOPIC_THEME = "充実期におけるＩＣＴ基盤の活用"

# Schools that acknowledged the revised policy in April 2023: not E001 and J001, the
# demo logins' schools, whose home pages ask them to.
ACKNOWLEDGED_CODES = [f"E{n:03d}" for n in range(2, 31)] + [f"J{n:03d}" for n in range(2, 11)]


def load(*, stdout) -> None:
    by = COMMAND_LINE
    versions = _policy(by)
    charts = _charts(by)
    topics = _topics(by)
    requests = _software_requests()
    acknowledged = _acknowledgements(by, versions)
    stdout.write(
        f"security: {versions} policy versions, {charts} chart versions, {topics} topics, "
        f"{requests} software requests, {acknowledged} acknowledgements added"
    )


def _policy(by) -> int:
    if PolicyDocument.objects.filter(title=POLICY_TITLE).exists():
        return 0
    document = services.policy_document_create(
        by=by, title=POLICY_TITLE, kind=DocumentKind.STANDARDS, order=1
    )
    before = services.policy_version_create(
        by=by,
        document=document,
        label="令和2年4月1日施行",
        effective_from=BEFORE,
        sections=SECTIONS_BEFORE,
    )
    services.policy_version_approve(by=by, version=before, approved_on=dt.date(2020, 3, 19))
    after = services.policy_version_create(
        by=by,
        document=document,
        label="令和5年4月1日改定",
        effective_from=REVISION,
        note="文部科学省のガイドライン改定、情報教育基盤の入れ替え及び機構改革による改定。",
        sections=SECTIONS_AFTER,
        reasons=REASONS,
    )
    services.policy_version_approve(by=by, version=after, approved_on=dt.date(2023, 3, 20))
    return 2


def _node(chart: OrgChart, position: str) -> OrgNode:
    return OrgNode.objects.get(chart=chart, position=position)


def _charts(by) -> int:
    made = 0
    if not OrgChart.objects.filter(slug="security").exists():
        services.orgchart_create(
            by=by,
            slug="security",
            title="教育情報セキュリティ組織",
            kind=ChartKind.SECURITY,
            effective_from=BEFORE,
            notes="令和5年4月1日の機構改革前の体制。",
            nodes=_chain(SECURITY_LEVELS_BEFORE),
        )
        services.orgchart_create(
            by=by,
            slug="security",
            title="教育情報セキュリティ組織",
            kind=ChartKind.SECURITY,
            effective_from=REVISION,
            notes="令和5年4月1日の情報セキュリティポリシー（教育情報系）改定による体制。"
            "CSIRTは別図。",
            nodes=_chain(SECURITY_LEVELS),
        )
        made += 2
    if not OrgChart.objects.filter(slug="csirt").exists():
        security = OrgChart.objects.get(slug="security", effective_from=REVISION)
        officer = _node(security, "教育情報セキュリティ責任者")
        administrator = _node(security, "教育情報システム管理者")
        same = LinkKind.SAME_POSITION
        services.orgchart_create(
            by=by,
            slug="csirt",
            title="CSIRT",
            kind=ChartKind.CSIRT,
            effective_from=REVISION,
            notes="情報セキュリティに関する統一的な窓口：情報政策課内",
            nodes=[
                NodeSpec(
                    "CSIRT責任者",
                    holders=["デジタル政策担当部長"],
                    duties=["情報セキュリティに関する統一的な窓口（情報政策課内）"],
                    links=[LinkSpec(same, target=officer)],
                    children=[
                        NodeSpec(
                            "CSIRT構成員",
                            holders=["指導担当次長"],
                            links=[LinkSpec(same, target=officer)],
                        ),
                        NodeSpec(
                            "CSIRT構成員",
                            holders=["情報政策課長"],
                            links=[LinkSpec(same, target=administrator)],
                        ),
                        NodeSpec(
                            "CSIRT構成員",
                            holders=["学校教育課長"],
                            links=[LinkSpec(same, target=administrator)],
                        ),
                    ],
                )
            ],
        )
        made += 1
    if not OrgChart.objects.filter(slug="committee").exists():
        services.orgchart_create(
            by=by,
            slug="committee",
            title="教育情報システム利活用推進委員会",
            kind=ChartKind.COMMITTEE,
            effective_from=FY2022,
            notes="令和4年度の体制（各部会の構成と分掌は資料にないため省略）。",
            nodes=committee_fy2022(),
        )
        services.orgchart_create(
            by=by,
            slug="committee",
            title="教育情報システム利活用推進委員会",
            kind=ChartKind.COMMITTEE,
            effective_from=REVISION,
            notes="令和5年度の体制（令和5年4月1日組織改革以降）。行政側の委員会と三部会、"
            "学校側の教育情報連絡調整会議。",
            nodes=committee_fy2023(),
        )
        made += 2
    return made


def _topics(by) -> int:
    if WorkingGroupTopic.objects.exists():
        return 0
    committee = OrgChart.objects.get(slug="committee", effective_from=FY2022)
    group = _node(committee, "ＩＣＴ基盤整備部会")
    for order, (title, status, summary) in enumerate(TOPICS, start=1):
        services.topic_create(
            by=by,
            group=group,
            title=title,
            status=status,
            meeting_date=COMMITTEE_MEETING,
            theme=TOPIC_THEME,
            summary=summary,
            order=order,
        )
    return len(TOPICS)


def _software_requests() -> int:
    if SoftwareRequest.objects.exists():
        return 0
    school_a = User.objects.filter(username="school_a").select_related("school").first()
    school_b = User.objects.filter(username="school_b").select_related("school").first()
    leader = User.objects.filter(username="leader").first()
    if not (school_a and school_b and leader):
        return 0
    approved = services.software_request_create(
        by=school_a,
        school=school_a.school,
        data=services.SoftwareInput(
            name="えいごたんごドリル（ブラウザ版）",
            url="https://drill.example.jp/",
            purpose="5・6年生の外国語で、単語の練習を家庭学習にも使う。",
            cost=Cost.FREE,
            needs_google_sign_in=True,
            pupil_data="Googleアカウントの表示名（氏名）と学習履歴",
            terms_url="https://drill.example.jp/terms",
            terms_notes="無償版。学習履歴は事業者のサーバに保存される。",
        ),
    )
    services.software_request_review(
        by=leader,
        request=approved,
        checks=rules.Checklist(
            sign_on=rules.Check(CheckResult.CONDITIONAL),
            personal_data=rules.Check(CheckResult.CONDITIONAL),
            security_terms=rules.Check(CheckResult.OK),
        ),
        decision=rules.Decision.APPROVE,
        conditions="Google Workspaceのシングルサインオン設定は青葉小学校の組織部門に限る。\n"
        "表示名は出席番号とし、氏名を登録しない。\n年度末に学習履歴を削除する。",
        notes="全校利用ではないため、設定変更は当該校の組織部門のみとした。",
    )
    services.software_request_create(
        by=school_b,
        school=school_b.school,
        data=services.SoftwareInput(
            name="プログラミング学習サイト",
            url="https://code.example.org/",
            purpose="技術・家庭科（技術分野）の計測・制御のプログラミング。",
            cost=Cost.PAID,
            needs_google_sign_in=False,
            pupil_data="生徒が作成したプログラム（アカウントは学校が一括発行）",
            terms_url="https://code.example.org/terms",
        ),
    )
    return 2


def _acknowledgements(by, versions_added: int) -> int:
    version = (
        PolicyDocument.objects.get(title=POLICY_TITLE)
        .versions.filter(effective_from=REVISION, status="approved")
        .first()
    )
    if version is None or Acknowledgement.objects.filter(version=version).exists():
        return 0
    schools = list(School.objects.filter(code__in=ACKNOWLEDGED_CODES).order_by("code"))
    # Replies of April 2023, recorded from the command line: these schools have no demo
    # login of their own.
    first = timezone.make_aware(dt.datetime.combine(REVISION, dt.time(9)))
    rows = Acknowledgement.objects.bulk_create(
        Acknowledgement(
            version=version,
            school=school,
            acknowledged_at=first + dt.timedelta(days=index // 5, hours=index % 5),
        )
        for index, school in enumerate(schools)
    )
    changelog.record_many(
        by=by,
        action=changelog.Action.ACKNOWLEDGE,
        objs=rows,
        changes_of=lambda row: {
            "version": [None, str(version)],
            "acknowledged_at": [None, row.acknowledged_at],
        },
    )
    return len(rows)
