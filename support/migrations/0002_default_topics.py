"""The support topics named in the committee papers; admin may rename or add more."""

from django.db import migrations

DEFAULT_TOPICS = [
    ("device-setup", "配布前の端末設定・配布時の説明"),
    ("lessons", "授業でのICT活用・児童生徒の操作支援"),
    ("classroom", "Google Classroomのクラス作成・活用"),
    ("faults", "タブレット故障の一次対応"),
    ("updates", "アップデート"),
    ("health-form", "健康観察フォームの導入"),
    ("training-miraiseed", "校内研修(ミライシード)"),
    ("training-google", "校内研修(Google)"),
    ("other", "その他"),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("support", "Topic")
    existing = set(Topic.objects.values_list("code", flat=True))
    Topic.objects.bulk_create(
        [
            Topic(code=code, name=name, sort_order=(index + 1) * 10)
            for index, (code, name) in enumerate(DEFAULT_TOPICS)
            if code not in existing
        ]
    )


def remove_topics(apps, schema_editor):
    Topic = apps.get_model("support", "Topic")
    Topic.objects.filter(code__in=[code for code, _name in DEFAULT_TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(add_topics, remove_topics)]
