"""What of the notify service's state its audit log accounts for (shared.db.audit_state):
every bulletin (its renderings through their digest) and every subscription (its
secret only as set or not), as the latest entry for each (handlers.py) left it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from services.notify.adapters.orm import bulletins, subscriptions
from services.notify.domain.model import Bulletin
from services.notify.domain.subscriptions import Subscription
from shared.db.audit import digest
from shared.db.audit_state import Audited, register

BULKY = ("text_zh", "text_en", "cap_xml", "html")  # as handlers._summary leaves them out


def _content(row: Mapping[str, Any]) -> str:
    return digest({name: row[name] for name in BULKY})


def _secret(row: Mapping[str, Any]) -> str:
    return "(set)" if row["secret"] else ""


AUDITED = [
    Audited(
        "bulletin",
        bulletins,
        "bulletin_id",
        [*(f.name for f in fields(Bulletin) if f.name not in BULKY), "content_sha256"],
        column={"references": "refs"},
        derived={"content_sha256": _content},
    ),
    Audited(
        "subscription",
        subscriptions,
        "subscription_id",
        [f.name for f in fields(Subscription)],
        derived={"secret": _secret},
    ),
]

register("notify", AUDITED)
