"""choice-gap insights and anonymous demand counters

Revision ID: a16c0ffee016
Revises: 5e1c0a7d9b21
Create Date: 2026-11-30 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a16c0ffee016'
down_revision = '5e1c0a7d9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'insight_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('data_date', sa.Date(), nullable=False),
        sa.Column('directory_version', sa.Integer(), nullable=True),
        sa.Column('method_version', sa.String(length=20), nullable=False),
        sa.Column('services', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('payload', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_snapshots')),
    )
    op.create_table(
        'demand_counters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=4), nullable=False),
        sa.Column('need', sa.String(length=40), nullable=False),
        sa.Column('age_band', sa.String(length=8), nullable=False),
        sa.Column('week', sa.String(length=8), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.CheckConstraint('count >= 0', name=op.f('ck_demand_counters_count')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_demand_counters')),
        sa.UniqueConstraint('district', 'need', 'age_band', 'week', name=op.f('uq_demand_counters_key')),
    )


def downgrade():
    op.drop_table('demand_counters')
    op.drop_table('insight_snapshots')
