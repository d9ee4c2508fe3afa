"""Who may open the dashboard and the report packs (see tests/access.py)."""

from dashboard import services
from gigaportal.calendar import Month
from gigaportal.scope import COMMAND_LINE
from tests.access import LEADERS, STAFF, View


def build(world):
    world.pack = services.pack_request(
        by=COMMAND_LINE, fiscal_year=2022, end=Month(2022, 12), enqueue=False
    )
    services.pack_make(pack_id=world.pack.pk, operator=COMMAND_LINE)


VIEWS = [
    View("dashboard:monthly", roles=STAFF, query="?month=2022-12", also_check=("",)),
    View("dashboard:pack_list", roles=LEADERS),
    View("dashboard:pack_detail", roles=LEADERS, kwargs=lambda w: {"pk": w.pack.pk}),
    View("dashboard:pack_status", roles=LEADERS, kwargs=lambda w: {"pk": w.pack.pk}),
    View(
        "dashboard:pack_download",
        roles=LEADERS,
        kwargs=lambda w: {"pk": w.pack.pk, "fmt": "pdf"},
        id="dashboard:pack_download[pdf]",
    ),
    View(
        "dashboard:pack_download",
        roles=LEADERS,
        kwargs=lambda w: {"pk": w.pack.pk, "fmt": "xlsx"},
        id="dashboard:pack_download[xlsx]",
    ),
    View(
        "dashboard:pack_create",
        roles=LEADERS,
        method="post",
        data=lambda w: {"month": "2022-12"},
        ok_status=(302,),
    ),
]
