"""The store: SQLite by default, PostgreSQL by URL; its schema is managed by Alembic."""

from .database import (
    MigrationStatus,
    NotMigrated,
    StoreProblem,
    StoreTooNew,
    connect,
    explain,
    migration_status,
    require_migrated,
    upgrade,
)

__all__ = ["MigrationStatus", "NotMigrated", "StoreProblem", "StoreTooNew", "connect", "explain", "migration_status",
           "require_migrated", "upgrade"]
