"""Factories for security rows; each returns saved objects made through the services
(as an administrator acting from the command line unless told otherwise)."""

from __future__ import annotations

import datetime as dt

from gigaportal.scope import COMMAND_LINE
from security import services
from security.models import ChartKind, DocumentKind, OrgChart, PolicyDocument, PolicyVersion
from security.services import NodeSpec, ReasonInput, SectionInput

OLD_DAY = dt.date(2020, 4, 1)
REVISION = dt.date(2023, 4, 1)

OLD_SECTIONS = [
    SectionInput(1, "この基準は情報資産を守るための基準を定める。", "目的"),
    SectionInput(2, "「校務系」とは校務用のネットワークをいう。", "定義"),
    SectionInput(3, "端末には不正プログラム対策ソフトウェアを導入する。", "端末の管理"),
]
NEW_SECTIONS = [
    SectionInput(1, "この基準は情報資産を守るための基準を定める。", "目的"),
    SectionInput(
        2,
        "「校務系」とは校務用のネットワークをいう。\n「指導者系」とは教職員が指導に使うネットワークをいう。",
        "定義",
    ),
    SectionInput(4, "CSIRTを置く。", "CSIRT"),
]
REASONS = [
    ReasonInput(
        "national_guideline", "ガイドラインの改定による改定", "（ア）端末\n・ふるまい検知を追記。"
    ),
    ReasonInput("organisation", "機構改革による改定", "教育支援課の新設。"),
]


def make_document(*, title: str = "情報セキュリティポリシー（教育情報系）") -> PolicyDocument:
    return services.policy_document_create(
        by=COMMAND_LINE, title=title, kind=DocumentKind.STANDARDS
    )


def make_version(
    *,
    document: PolicyDocument,
    label: str = "版",
    effective_from: dt.date | None = REVISION,
    approved_on: dt.date | None = None,
    sections=NEW_SECTIONS,
    reasons=(),
) -> PolicyVersion:
    """A draft, or approved when `approved_on` is given."""
    version = services.policy_version_create(
        by=COMMAND_LINE,
        document=document,
        label=label,
        effective_from=effective_from,
        sections=sections,
        reasons=reasons,
    )
    if approved_on:
        version = services.policy_version_approve(
            by=COMMAND_LINE, version=version, approved_on=approved_on
        )
    return version


def make_policy_history() -> tuple[PolicyDocument, PolicyVersion, PolicyVersion]:
    """A document approved from 2020-04-01 and revised from 2023-04-01."""
    document = make_document()
    old = make_version(
        document=document,
        label="令和2年4月1日施行",
        effective_from=OLD_DAY,
        approved_on=dt.date(2020, 3, 19),
        sections=OLD_SECTIONS,
    )
    new = make_version(
        document=document,
        label="令和5年4月1日改定",
        effective_from=REVISION,
        approved_on=dt.date(2023, 3, 20),
        sections=NEW_SECTIONS,
        reasons=REASONS,
    )
    return document, old, new


def make_chart(
    *,
    slug: str = "security",
    title: str = "教育情報セキュリティ組織",
    kind: str = ChartKind.SECURITY,
    effective_from: dt.date = REVISION,
    nodes=None,
) -> OrgChart:
    nodes = nodes or [
        NodeSpec(
            "最高情報セキュリティ責任者",
            holders=["副市長"],
            children=[
                NodeSpec(
                    "統括教育情報セキュリティ責任者",
                    holders=["教育長"],
                    children=[
                        NodeSpec("教育情報セキュリティ責任者", holders=["教育次長", "指導担当次長"])
                    ],
                )
            ],
        )
    ]
    return services.orgchart_create(
        by=COMMAND_LINE,
        slug=slug,
        title=title,
        kind=kind,
        effective_from=effective_from,
        nodes=nodes,
    )


def make_software_request(*, by, **changes):
    data = {
        "name": "えいごドリル",
        "url": "https://drill.example.jp/",
        "purpose": "外国語の単語練習",
        "cost": "free",
        "needs_google_sign_in": True,
        "pupil_data": "表示名と学習履歴",
        "terms_url": "https://drill.example.jp/terms",
    } | changes
    return services.software_request_create(
        by=by, school=by.school, data=services.SoftwareInput(**data)
    )
