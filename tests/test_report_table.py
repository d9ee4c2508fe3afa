from decimal import Decimal

from django.template.loader import render_to_string

from gigaportal.reports import Report, ReportColumn


def test_the_shared_table_right_aligns_numbers_with_separators_and_shows_the_footer():
    report = Report(
        title="通信量",
        columns=[ReportColumn("month", "月"), ReportColumn("total_gb", "通信量(GB)", numeric=True)],
        rows=[("2022-09", 68216), ("2022-10", Decimal("66144.5"))],
        footer=[("計", 134360)],
    )
    html = render_to_string("gigaportal/_report_table.html", {"report": report})
    assert '<td class="num">68,216</td>' in html
    assert '<td class="num">66,144.5</td>' in html
    assert "<td>2022-09</td>" in html
    assert '<td class="num">134,360</td>' in html and "<caption" in html
