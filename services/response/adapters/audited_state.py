"""What of the response service's state its audit log accounts for (shared.db.audit_state):
every task, as the latest entry for it (handlers.py: ``uow.record("task", ...)``) left it."""

from __future__ import annotations

from dataclasses import fields

from services.response.adapters.orm import tasks
from services.response.domain.tasks import Task
from shared.db.audit_state import Audited, register

# a task's version counts its writes for optimistic concurrency: bookkeeping, not state
_COMPARED = [f.name for f in fields(Task) if f.name != "version"]

AUDITED = [Audited("task", tasks, "task_id", _COMPARED)]

register("response", AUDITED)
