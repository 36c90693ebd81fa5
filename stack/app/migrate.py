"""Programmatic Alembic configuration (no alembic.ini) for the scripts in ./migrations."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from stack.app.settings import SettingsError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def sqlalchemy_url(database_url: str) -> str:
    """Turn the libpq URL into the SQLAlchemy URL for the psycopg 3 driver."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql"):
        raise SettingsError("OPSGATE_APP_DATABASE_URL must be a postgresql:// URL")
    return f"postgresql+psycopg://{rest}"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # Config values go through ConfigParser interpolation, so percent-encoded URLs need escaping.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def script_head() -> str:
    """The newest revision among the migration scripts (no database access)."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts in {MIGRATIONS_DIR}")
    return head
