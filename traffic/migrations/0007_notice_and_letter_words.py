"""The school notice no longer tells the school, inside the portal, to open the portal
(the e-mail says it), and the parents' letter no longer repeats its addressee, names the
school in its text or shows the parents a line number: the printed letter has its own
heading, the principal's name and 年・組・氏名 blanks. Rows still holding the old
default words get the new ones; words edited in admin are left alone."""

from django.db import migrations

OLD = {
    "school_notice": [
        "【通信量】児童生徒のiPadの通信量についてのお知らせ（{month}）",
        "{school} ご担当者様\n\n回線番号 {line_number} のiPadの通信量が、{month}も基準（1か月200GB以上、または2か月続けて100GB以上）を超えました（{month}: {usage_gb} GB）。\n先月、本人のiPadに注意のメッセージを送っています。\n本人への声かけと、学習に関係のない利用を控えるよう指導をお願いします。\n\nポータルの受信箱でこのお知らせを確認し、「確認しました」を押してください。\nGIGAスクール運営支援センター"
    ],
    "parent_letter": [
        "保護者の皆様へ　iPadの通信量とスクリーンタイムの設定のお願い",
        "保護者の皆様へ\n\n{school}\n\nお子様が学校から貸与されているiPad（回線番号 {line_number}）の通信量が、数か月続けて多い状態です（{month}: {usage_gb} GB）。\niPadは学習のために使うものです。ご家庭でも使い方を話し合ってください。\n\niPadの「スクリーンタイム」で、使う時間やアプリを制限できます。\n1. 保護者のiPhoneやiPadから設定するには、まず「ファミリー共有」を設定し、お子様をファミリーに加える必要があります（設定 → ご自分の名前 → ファミリー）。\n2. 保護者の端末で 設定 → スクリーンタイム → お子様の名前 を選びます。\n3. 「休止時間」「App使用時間の制限」「コンテンツとプライバシーの制限」で、使える時間帯やアプリを決めます。\n4. 「スクリーンタイム・パスコード」を設定し、お子様が設定を変えられないようにします。\nファミリー共有を使わない場合は、お子様のiPadで直接 設定 → スクリーンタイム を開き、同じ項目を設定してください。\n\nご不明な点は学校までお問い合わせください。"
    ]
}


def update_defaults(apps, schema_editor):
    from traffic.texts import DEFAULT_TEXTS

    MessageText = apps.get_model("traffic", "MessageText")
    for kind, (subject, body) in OLD.items():
        new = next(text for k, text in DEFAULT_TEXTS.items() if k.value == kind)
        MessageText.objects.filter(kind=kind, subject=subject, body=body).update(
            subject=new.subject, body=new.body
        )


class Migration(migrations.Migration):
    dependencies = [("traffic", "0006_action_outbox_and_import_batches")]

    operations = [migrations.RunPython(update_defaults, migrations.RunPython.noop)]
