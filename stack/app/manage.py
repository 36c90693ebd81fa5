"""Management CLI: python -m stack.app.manage {upgrade,downgrade,current,head,seed}."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

import psycopg
from alembic import command
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from stack.app.db import CONNECT_KWARGS, current_revision
from stack.app.migrate import alembic_config, script_head
from stack.app.security import hash_password
from stack.app.settings import Settings, SettingsError, describe_error

DEMO_ITEMS = [
    ("gateway", "Edge proxy terminating TLS"),
    ("ledger", "Append-only audit log"),
    ("beacon", "Synthetic uptime probe"),
]


def upgrade(settings: Settings) -> None:
    command.upgrade(alembic_config(settings.database_url), "head")


def downgrade(settings: Settings) -> None:
    command.downgrade(alembic_config(settings.database_url), "-1")


def current(settings: Settings) -> None:
    with psycopg.connect(settings.database_url, **CONNECT_KWARGS) as conn:
        print(current_revision(conn) or "none")


def seed(settings: Settings) -> None:
    if not settings.demo_password:
        raise SettingsError("OPSGATE_APP_DEMO_PASSWORD is not set")
    with psycopg.connect(settings.database_url, **CONNECT_KWARGS) as conn:
        conn.execute(
            "INSERT INTO users (username, password_hash) VALUES (%s, %s)"
            " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash",
            (settings.demo_user, hash_password(settings.demo_password)),
        )
        # A single statement, so concurrent seeds cannot both see an empty table.
        added = conn.execute(
            "INSERT INTO items (name, description)"
            " SELECT * FROM unnest(%s::text[], %s::text[]) WHERE NOT EXISTS (SELECT 1 FROM items)",
            ([name for name, _ in DEMO_ITEMS], [description for _, description in DEMO_ITEMS]),
        ).rowcount
    print(f"seeded user {settings.demo_user!r} and {added} demo items")


COMMANDS: dict[str, Callable[[Settings], None]] = {
    "upgrade": upgrade,
    "downgrade": downgrade,
    "current": current,
    "seed": seed,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.app.manage", description=__doc__)
    parser.add_argument("command", choices=[*COMMANDS, "head"])
    args = parser.parse_args(argv)
    # Alembic progress goes to stdout so that stderr holds only the one-line error on failure.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    if args.command == "head":
        print(script_head())  # needs only the scripts, not the database or settings
        return 0
    secrets: tuple[str, ...] = ()
    try:
        settings = Settings.from_env()
        secrets = settings.secrets
        COMMANDS[args.command](settings)
    except (SettingsError, CommandError, SQLAlchemyError, psycopg.Error) as exc:
        print(f"error: {describe_error(exc, secrets)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
