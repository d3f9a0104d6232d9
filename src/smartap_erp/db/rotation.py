"""Re-encrypting every vault-encrypted column under the newest key (`smartap-erp keys rotate`).
`ENCRYPTED_COLUMNS` is the registry of what the vault writes to the database: a connection's
credentials, an event subscription's signing secret, an OAuth flow's PKCE verifier and pending tokens
(tests/app/test_key_rotation_all.py fails when a model gains a binary or secret-named column that is
not listed). Rows are read in batches by primary key, each batch its own transaction, and each row is
written back with a compare-and-set on the ciphertext it was read with: a concurrent writer (a token
refresh) is never overwritten; its row is read again and rotated again. A row the newest key already
opens is left alone, so running the rotation twice is harmless. A row no key opens is skipped and
reported by table and id, never by content; the others are still rotated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from smartap_erp.db.models import ERPConnection, ERPEventSubscription, OAuthFlow
from smartap_erp.db.vault import CredentialVault
from smartap_erp.errors import ConflictError, CredentialDecryptionError

BATCH_SIZE = 500
MAX_RETRIES = 5  # compare-and-set misses on one row before giving up (a writer that never stops)


@dataclass(frozen=True)
class EncryptedColumn:
    """One column of vault ciphertext: what people call it, and the mapped column."""

    kind: str
    column: InstrumentedAttribute[bytes]

    @property
    def table(self) -> str:
        return str(self.column.class_.__tablename__)


ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn("connection credentials", ERPConnection.credentials),
    EncryptedColumn("event subscription secrets", ERPEventSubscription.secret),
    EncryptedColumn("OAuth flow secrets", OAuthFlow.secrets),
)


@dataclass
class ColumnRotation:
    """What a rotation did to one column; `unreadable` holds the ids of rows no key opens."""

    kind: str
    table: str
    total: int = 0  # rows when the rotation of this column started
    rows: int = 0  # rows looked at so far
    re_encrypted: int = 0
    already_current: int = 0  # the newest key opens them: left alone
    unreadable: list[str] = field(default_factory=list)


Progress = Callable[[ColumnRotation], None]


async def rotate_all(
    sessions: async_sessionmaker[AsyncSession],
    vault: CredentialVault,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> list[ColumnRotation]:
    """Rotate every registered column, in registry order; one result per column."""
    return [
        await rotate_column(sessions, entry, vault, batch_size=batch_size, progress=progress)
        for entry in ENCRYPTED_COLUMNS
    ]


async def rotate_column(
    sessions: async_sessionmaker[AsyncSession],
    entry: EncryptedColumn,
    vault: CredentialVault,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> ColumnRotation:
    """Re-encrypt `entry`'s rows under the newest key, `batch_size` rows per transaction."""
    done = ColumnRotation(entry.kind, entry.table)
    model = entry.column.class_
    key = model.id
    async with sessions() as session:
        done.total = int(await session.scalar(select(func.count()).select_from(model)) or 0)
    last: Any = None
    while True:
        async with sessions() as session, session.begin():
            query = select(key, entry.column).order_by(key).limit(batch_size)
            if last is not None:
                query = query.where(key > last)
            rows = (await session.execute(query)).all()
            for row_id, ciphertext in rows:
                await _rotate_row(session, entry, vault, row_id, ciphertext, done)
        if not rows:
            return done
        last = rows[-1][0]
        done.rows += len(rows)
        if progress is not None:
            progress(done)


async def _rotate_row(
    session: AsyncSession,
    entry: EncryptedColumn,
    vault: CredentialVault,
    row_id: Any,
    ciphertext: bytes,
    done: ColumnRotation,
) -> None:
    model = entry.column.class_
    for _ in range(MAX_RETRIES):
        if vault.is_current(ciphertext):
            done.already_current += 1
            return
        try:
            rotated = vault.rotate(ciphertext, owner=f"{entry.table} row {row_id}")
        except CredentialDecryptionError:
            done.unreadable.append(str(row_id))
            return
        written = await session.execute(
            update(model)
            .where(model.id == row_id, entry.column == ciphertext)
            .values({entry.column.key: rotated, **_unchanged_stamps(model)})
            .execution_options(synchronize_session=False)
        )
        if getattr(written, "rowcount", 0) == 1:
            done.re_encrypted += 1
            return
        # Changed (or deleted) since it was read: read it again and rotate what is there now.
        again = await session.scalar(select(entry.column).where(model.id == row_id))
        if again is None:
            return
        ciphertext = again
    raise ConflictError(
        f"{entry.table} row {row_id} kept changing during the key rotation; run `keys rotate` again"
    )


def _unchanged_stamps(model: Any) -> dict[str, Any]:
    """`updated_at = updated_at`: re-encrypting the same value is not a change people should see."""
    return {column.key: column for column in model.__table__.columns if column.onupdate is not None}
