"""The chart as SVG, over plain values: a valid document, every box, escaped text,
boxes indented by depth and joined to their parents."""

import xml.etree.ElementTree as ET

from security.drawing import Box, orgchart_svg, text_width, wrap

SVG = "{http://www.w3.org/2000/svg}"

BOXES = [
    Box(1, "最高情報セキュリティ責任者", ("副市長",)),
    Box(2, "統括教育情報セキュリティ責任者", ("教育長",)),
    Box(3, "教育情報セキュリティ責任者", ("教育次長、指導担当次長、デジタル政策担当部長",)),
    Box(2, "CSIRT", ()),
]


def test_it_draws_every_box_with_its_text():
    root = ET.fromstring(orgchart_svg(BOXES, title="教育情報セキュリティ組織"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == "教育情報セキュリティ組織"
    for box in BOXES:
        assert box.title in texts
    assert len(list(root.iter(f"{SVG}rect"))) == len(BOXES) + 1  # and the background


def test_deeper_boxes_are_further_right_and_each_child_has_a_connector():
    root = ET.fromstring(orgchart_svg(BOXES))
    boxes = [r for r in root.iter(f"{SVG}rect") if r.get("rx")]
    xs = [float(r.get("x")) for r in boxes]
    assert xs[0] < xs[1] < xs[2] and xs[3] == xs[1]
    assert len(list(root.iter(f"{SVG}path"))) == 3  # every box but the top one


def test_text_is_escaped_and_nothing_runs():
    svg = orgchart_svg([Box(1, "<script>alert(1)</script>", ("a & b", '"quoted"'))], title="<t>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}script"))


def test_long_text_wraps_inside_the_widest_box():
    long = "総務課長、学校教育課長、青少年課長、総合教育プラザ館長、学務管理課長、教育支援課長、情報政策課長"
    lines = wrap(long, 12, 200)
    assert "".join(lines) == long and len(lines) > 1
    assert all(text_width(line, 12) <= 200 for line in lines)
    root = ET.fromstring(orgchart_svg([Box(1, "教育情報システム管理者", (long,))]))
    [box] = [r for r in root.iter(f"{SVG}rect") if r.get("rx")]
    assert float(box.get("width")) <= 460


def test_an_empty_chart_is_still_a_valid_image():
    root = ET.fromstring(orgchart_svg([], title="空"))
    assert root.tag == f"{SVG}svg"
