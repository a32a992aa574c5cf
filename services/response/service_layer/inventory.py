"""Inventory handlers: import a district's inventory, check it against the targets."""

from __future__ import annotations

from services.response.domain.inventory import (
    ReductionCheck,
    Source,
    WarningLevel,
    check_inventory,
    reduction_check,
)
from services.response.service_layer.unit_of_work import ResponseUnitOfWork
from shared.areas import AREAS
from shared.auth import Principal, require
from shared.db.audit import digest
from shared.errors import NotFound, Rejected
from shared.levels import WARNING_LEVEL_OF


async def import_inventory(
    district: str, sources: list[Source], principal: Principal, uow: ResponseUnitOfWork
) -> int:
    """Replace the district's inventory as one new version; all rows or none (§4.2.1)."""
    if AREAS.get(district) is None or AREAS[district].kind != "district":
        raise NotFound(f"no district {district!r}")
    require(
        principal, "district-hq", "office-duty", "office-director", "hq-commander", area=district
    )
    check_inventory(sources)
    version = await uow.inventories.replace(district, sources, by=principal.name)
    # What this version replaced, read after taking its number: a parallel import may
    # have come in between, and the audit names the version actually replaced.
    was, old = await uow.inventories.version(district, version - 1)
    # the versions stay in their own tables: a digest binds each one's rows here
    await uow.record(
        "inventory",
        district,
        "submitted",
        {"version": was, "sources": len(old), "sha256": digest(old)} if was else None,
        {"version": version, "sources": len(sources), "sha256": digest(sources)},
    )
    await uow.commit()
    return version


async def check_reductions(
    district: str,
    uow: ResponseUnitOfWork,
    *,
    level: WarningLevel | None = None,
    pollutant: str | None = None,
) -> tuple[int, ReductionCheck]:
    """The district's reductions against the targets of its active level, or of the
    level and pollutant asked for."""
    if level is None or pollutant is None:
        active = [r for r in await uow.responses.all(area=district, active=True)]
        if not active:
            raise Rejected(f"{district} has no active warning: name a level and a pollutant")
        level = level or WARNING_LEVEL_OF[active[-1].response_level]
        pollutant = pollutant or active[-1].pollutant or "PM2.5"
    version, sources = await uow.inventories.current(district)
    if version == 0:
        raise NotFound(f"{district} has no inventory yet")
    return version, reduction_check(sources, level, pollutant)
