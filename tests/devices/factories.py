"""Factories for devices tests: a model, deployed devices at a school, spares."""

from __future__ import annotations

import itertools

from devices.models import Device, DeviceModel
from gigaportal.models import School

_seq = itertools.count(1)


def make_device_model(*, name: str = "iPad", kind: str = DeviceModel.Kind.IPAD, spares: int = 0):
    model, _created = DeviceModel.objects.get_or_create(
        name=name, defaults={"kind": kind, "spares_at_deployment": spares}
    )
    return model


def make_device(
    *,
    school: School | None = None,
    model: DeviceModel | None = None,
    serial: str | None = None,
    **extra,
) -> Device:
    """A deployed device at `school`, or a spare when school is None."""
    status = Device.Status.DEPLOYED if school else Device.Status.SPARE
    return Device.objects.create(
        serial=serial or f"SN{next(_seq):06d}",
        model=model or make_device_model(),
        school=school,
        status=extra.pop("status", status),
        **extra,
    )


def make_spares(
    count: int, *, model: DeviceModel | None = None, prefix: str = "SP"
) -> list[Device]:
    model = model or make_device_model()
    return Device.objects.bulk_create(
        Device(serial=f"{prefix}{next(_seq):06d}", model=model, status=Device.Status.SPARE)
        for _ in range(count)
    )
