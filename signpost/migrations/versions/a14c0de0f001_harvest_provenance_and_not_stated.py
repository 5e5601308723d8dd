"""Harvested listings: provenance, classification, and "not stated" cost, capacity, sector

Revision ID: a14c0de0f001
Revises: b7e2c4d91a3f
Create Date: 2026-11-30 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a14c0de0f001"
down_revision = "b7e2c4d91a3f"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("source_name", sa.String(length=200)),
    ("source_record_id", sa.String(length=200)),
    ("source_last_seen", sa.DateTime(timezone=True)),
    ("source_last_changed", sa.DateTime(timezone=True)),
    ("source_digest", sa.String(length=64)),
    ("import_class", sa.String(length=20)),
    ("import_review", sa.String(length=20)),
    ("import_evidence", sa.Text()),
    ("opening_times", sa.Text()),
    ("area_description", sa.Text()),
)


def upgrade():
    with op.batch_alter_table("services", schema=None) as batch_op:
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.alter_column("cost_type", existing_type=sa.String(length=20), nullable=True)
        batch_op.alter_column("capacity", existing_type=sa.String(length=20), nullable=True)
        batch_op.create_index(
            "ix_services_source", ["source_name", "source_record_id"], unique=False
        )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.alter_column("sector", existing_type=sa.String(length=20), nullable=True)


def downgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.alter_column("sector", existing_type=sa.String(length=20), nullable=False)
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index("ix_services_source")
        batch_op.alter_column("capacity", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("cost_type", existing_type=sa.String(length=20), nullable=False)
        for name, _kind in reversed(_COLUMNS):
            batch_op.drop_column(name)
