"""The README's first-deployment section, followed to the letter on an empty database:
each command of its code block runs, in order, and leaves what the next one needs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

from devices.models import Device, DeviceEvent, DeviceModel
from gigaportal.models import ImportBatch, ObjectChange, School, User
from support.models import SupportRecord
from traffic.models import Evaluation, MonthlyUsage, Policy

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## First deployment, step by step", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words = shlex.split(line)
            assert words[:2] == ["python", "manage.py"], line
            commands.append(words[2:])
    return commands


def test_the_readme_names_the_steps_in_the_issue_order():
    names = [command[0] for command in readme_commands()]
    assert names == [
        "import_schools",
        "import_users",
        "import_devices",
        "import_device_events",
        "traffic_policy",
        "import_traffic",
        "import_support_log",
    ]


@pytest.mark.django_db
def test_the_first_deployment_works_on_an_empty_database_in_the_readmes_order(
    monkeypatch, capsys, django_capture_on_commit_callbacks
):
    from gigaportal.celery import app

    assert not School.objects.exists() and not User.objects.exists()
    monkeypatch.chdir(ROOT)
    # The evaluation after the usage import is a task published on commit: run it here,
    # as the embedded default does.
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        for command in readme_commands():
            with django_capture_on_commit_callbacks(execute=True):
                call_command(*command)
    finally:
        app.conf.task_always_eager = eager
    out = capsys.readouterr().out

    assert School.objects.count() == 4
    assert User.objects.filter(role="school").count() == 2
    ipad = DeviceModel.objects.get(name="iPad (第9世代)")
    assert (ipad.kind, DeviceModel.objects.get(name="Chromebook").kind) == ("ipad", "chromebook")
    assert ipad.spares_at_deployment == 2
    assert "iPad (第9世代)" in out  # the command said which models it registered
    assert Device.objects.count() == 8
    assert DeviceEvent.objects.filter(kind="breakage").count() == 1
    assert Policy.objects.count() == 1
    assert MonthlyUsage.objects.count() == 8
    assert Evaluation.objects.filter(month="2022-09-01").exists()  # 210 GB: a case opened
    assert SupportRecord.objects.count() == 4
    # Every step is in the change log, as the command line, one entry per file.
    batches = ImportBatch.objects.filter(status=ImportBatch.Status.DONE)
    assert batches.count() == 6
    imports = ObjectChange.objects.filter(action="import")
    assert imports.count() == 6
    assert set(imports.values_list("via", flat=True)) == {"command"}
