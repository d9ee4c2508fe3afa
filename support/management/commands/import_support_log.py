from gigaportal.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Import an existing support log (CSV: 日付, 学校コード, 区分, 担当, optional 内容, 備考). "
        "A file with any bad row is refused whole; the same file again changes nothing."
    )
    kind = "support_log"
