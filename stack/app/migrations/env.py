"""Alembic environment: online migrations only, against the URL set by stack.app.migrate."""

from alembic import context
from sqlalchemy import create_engine, pool

url = context.config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("sqlalchemy.url is not configured; run migrations via python -m stack.app.manage")

# lock_timeout makes a migration fail instead of queueing forever behind a long transaction.
engine = create_engine(
    url, poolclass=pool.NullPool, connect_args={"connect_timeout": 3, "options": "-c lock_timeout=5000"}
)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
