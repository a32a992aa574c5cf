"""What of the forecast service's state its audit log accounts for (shared.db.audit_state):
nothing compared yet. Its forecasts are audited as accepted (entity = their kind), but
the table keeps them reshaped for reading; registering no tables says so explicitly."""

from __future__ import annotations

from shared.db.audit_state import register

register("forecast", [])
