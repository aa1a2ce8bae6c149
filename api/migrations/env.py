"""Alembic environment: uses the connection handed over by api.core.db.upgrade, or DATABASE_URL."""

from __future__ import annotations

from alembic import context

from api.core.db import make_engine
from api.migrations.metadata import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from api.settings import get_settings

    engine = make_engine(get_settings().database_url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
