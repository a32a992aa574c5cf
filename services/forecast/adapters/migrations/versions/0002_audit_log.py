"""the hash-chained audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from shared.db.audit import create_audit_log_v1, drop_audit_log_v1

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log_v1("forecast")


def downgrade() -> None:
    drop_audit_log_v1("forecast")
