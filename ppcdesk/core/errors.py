"""One error class per failure, each ending in Error, all under PpcdeskError.

The CLI prints ``str(error)`` as its one line, so messages name the file, row and field.
"""

from __future__ import annotations


class PpcdeskError(Exception):
    """Base of every error ppcdesk raises on purpose."""


class DataError(PpcdeskError):
    """Input that cannot be used: the message names the source, row and field."""

    def __init__(self, message: str, *, source: str = "", row: int | None = None,
                 field: str = "") -> None:
        where = ", ".join(
            part for part in (
                source,
                f"row {row}" if row is not None else "",
                f"field {field!r}" if field else "",
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.source = source
        self.row = row
        self.field = field


class MoneyError(DataError):
    """An amount that is not a valid amount of money."""


class PhoneNumberError(DataError):
    """A phone number that cannot be read."""


class DatabaseLockedError(PpcdeskError):
    """Another ppcdesk already has this database open."""


class SchemaTooNewError(PpcdeskError):
    """The database was written by a newer ppcdesk than this one."""


class MigrationError(PpcdeskError):
    """A schema migration failed; the backup taken before it is named in the message."""


class NoSecretBackendError(PpcdeskError):
    """No OS keyring is available to hold a secret."""


class ReadOnlyRoleError(PpcdeskError):
    """A change this ppcdesk's role does not make (reviewer-only mode: contracts)."""
