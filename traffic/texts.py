"""Default words of the four actions, in Japanese, as the city would send them.

They are content, not interface strings: an administrator edits them in admin
(MessageText), and these defaults apply until then. Placeholders: {line_number},
{month} (e.g. 2022年9月), {usage_gb}, {school}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from traffic.escalation import ActionKind
from traffic.parsing import MB_PER_GB


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


DEFAULT_TEXTS: Mapping[ActionKind, Text] = {
    ActionKind.TABLET_CAUTION: Text(
        subject="【注意】iPadの通信量が多くなっています",
        body=(
            "{month}のこのiPadの通信量は {usage_gb} GB でした。\n"
            "学習に関係のない動画の視聴やゲームなどで通信量が増えていませんか。\n"
            "iPadは学習のための道具です。使い方を見直しましょう。"
        ),
    ),
    ActionKind.SCHOOL_NOTICE: Text(
        subject="【通信量】児童生徒のiPadの通信量についてのお知らせ（{month}）",
        body=(
            "{school} ご担当者様\n\n"
            "回線番号 {line_number} のiPadの通信量が、{month}も基準（1か月200GB以上、"
            "または2か月続けて100GB以上）を超えました（{month}: {usage_gb} GB）。\n"
            "先月、本人のiPadに注意のメッセージを送っています。\n"
            "本人への声かけと、学習に関係のない利用を控えるよう指導をお願いします。\n\n"
            "GIGAスクール運営支援センター"
        ),
    ),
    ActionKind.TABLET_WARNING: Text(
        subject="【警告】iPadの通信量が多い状態が続いています",
        body=(
            "{month}のこのiPadの通信量は {usage_gb} GB でした。\n"
            "通信量の多い状態が続いています。学習に関係のない使い方をやめてください。\n"
            "このまま続く場合は、ご家庭にお知らせします。"
        ),
    ),
    ActionKind.PARENT_LETTER: Text(
        subject="iPadの通信量とスクリーンタイムの設定のお願い",
        body=(
            "お子様が学校から貸与されているiPadの通信量が、"
            "数か月続けて多い状態です（{month}: {usage_gb} GB）。\n"
            "iPadは学習のために使うものです。ご家庭でも使い方を話し合ってください。\n\n"
            "iPadの「スクリーンタイム」で、使う時間やアプリを制限できます。\n"
            "1. 保護者のiPhoneやiPadから設定するには、まず「ファミリー共有」を設定し、"
            "お子様をファミリーに加える必要があります（設定 → ご自分の名前 → ファミリー）。\n"
            "2. 保護者の端末で 設定 → スクリーンタイム → お子様の名前 を選びます。\n"
            "3. 「休止時間」「App使用時間の制限」「コンテンツとプライバシーの制限」で、"
            "使える時間帯やアプリを決めます。\n"
            "4. 「スクリーンタイム・パスコード」を設定し、お子様が設定を変えられないようにします。\n"
            "ファミリー共有を使わない場合は、お子様のiPadで直接 設定 → スクリーンタイム を開き、"
            "同じ項目を設定してください。\n\n"
            "ご不明な点は学校までお問い合わせください。"
        ),
    ),
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(text: str, values: Mapping[str, object]) -> str:
    """Fills the placeholders; an unknown one (a typo in admin) stays as written
    rather than failing the whole evaluation."""
    return text.format_map(_Blank(values))


def values(*, line_number: str, month, usage_mb: Decimal | None, school: str) -> dict[str, str]:
    """The placeholders' values for one line and month (the usage to two decimals)."""
    from gigaportal.calendar import month_label

    return {
        "line_number": line_number,
        "month": month_label(month, with_year=True),
        "usage_gb": f"{usage_mb / MB_PER_GB:.2f}" if usage_mb is not None else "",
        "school": school,
    }


def compose(text: Text, placeholders: Mapping[str, object]) -> Text:
    """The subject and body with the placeholders filled."""
    return Text(render(text.subject, placeholders), render(text.body, placeholders))
