"""What of the alerting service's state its audit log accounts for (shared.db.audit_state):
the warning in force per area, each own level, every proposal and advisory, as the
latest entry for each (handlers.py: ``uow.record``) left it."""

from __future__ import annotations

from dataclasses import fields

from services.alerting.adapters.orm import advisories, own_levels, proposals, warnings
from services.alerting.domain.decision import OwnWarning
from services.alerting.domain.warnings import Advisory, Proposal, Published
from shared.db.audit_state import Audited, register


def _names(model: type) -> list[str]:
    return [f.name for f in fields(model)]


AUDITED = [
    Audited("warning", warnings, "area", _names(Published)),
    Audited("own-level", own_levels, "area", [*_names(OwnWarning), "ref"]),
    Audited("proposal", proposals, "proposal_id", _names(Proposal)),
    Audited("advisory", advisories, "advisory_id", [*_names(Advisory), "submitted_by"]),
]

register("alerting", AUDITED)
