"""eligibility, per-modality intensity and specific protocols on services

Revision ID: b7e2c4d91a3f
Revises: a16c0ffee016
Create Date: 2026-11-30 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4d91a3f'
down_revision = 'a16c0ffee016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocols', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('eligibility', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('eligibility_note', sa.String(length=200), nullable=True))

    with op.batch_alter_table('service_modalities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intensity', sa.String(length=4), server_default='high', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_service_modalities_intensity'), "intensity IN ('low', 'high')"
        )


def downgrade():
    with op.batch_alter_table('service_modalities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_modalities_intensity'), type_='check')
        batch_op.drop_column('intensity')

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('eligibility_note')
        batch_op.drop_column('eligibility')
        batch_op.drop_column('protocols')
