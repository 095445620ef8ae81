"""locations are finite numbers: clear infinities and NaN stored before they were refused

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00

"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, columns): a location is kept whole or not at all.
LOCATIONS = (("visits", ("lat", "lon", "accuracy_m")), ("households", ("lat", "lon")))
# Beyond any double: only infinity is larger. PostgreSQL sorts NaN above every number, and
# SQLite cannot store NaN (it becomes NULL), so the same test finds both.
LIMIT = "1e308"


def statements():
    """Return the UPDATEs that clear every location holding a number that is not finite."""
    for table, columns in LOCATIONS:
        broken = " OR ".join(f"{c} > {LIMIT} OR {c} < -{LIMIT}" for c in columns)
        cleared = ", ".join(f"{c} = NULL" for c in columns)
        yield f"UPDATE {table} SET {cleared} WHERE {broken}"


def upgrade():
    for statement in statements():
        op.execute(statement)


def downgrade():
    pass  # the cleared values were not numbers; there is nothing to put back
