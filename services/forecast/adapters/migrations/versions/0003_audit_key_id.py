"""the audit log's key id: each row names the key its MAC was made with

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from shared.db.audit import add_audit_key_id_v1, drop_audit_key_id_v1

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_audit_key_id_v1("forecast")


def downgrade() -> None:
    drop_audit_key_id_v1("forecast")
