"""Rate limits counted in the service's PostgreSQL database, answering 429 with Retry-After.

Every API instance of a service reads and writes the same counters, so a limit holds
across instances behind a load balancer (sign-in throttling, a unit's sync calls).
Rates are the ``limits`` library's strings (``"5/15minutes"``, parsed by ``limits.parse``);
the storage is here, in the table :func:`add_rate_limit_table` adds to a service's
MetaData.

Storage: a moving window, exactly as ``limits``' MovingWindow counts it. One row per
(scope, key) holds the times of its most recent hits (``hits``, oldest first, at most
``amount`` of them). The window is full when the ``amount``-th most recent hit is younger
than the window; Retry-After is the time until that hit leaves it. A hit is one atomic
``INSERT … ON CONFLICT (scope, key) DO UPDATE … WHERE <window not full>``: PostgreSQL
locks the row and evaluates the condition and the new array on its latest version, so
concurrent hits from any number of instances queue on the row and never count past the
limit; a full window records nothing and returns no row. The times come from the
database's clock (``clock_timestamp()``, read after the row lock), so instances' clocks
never disagree and the array stays in order. A fixed-window counter (one integer per
window) would be as cheap but lets twice the limit through around a window's edge; the
arrays are small (the limits here are 5 to 30 hits), each hit rewrites one short row.

Keys: the key parts (a username, which may be a mobile number; a client address; an API
key's id) are stored only as an HMAC-SHA256 under the service's secret, never in clear.

Old rows: a row matters until its newest hit leaves the window (``expires_at``). Each hit
then deletes up to :data:`PURGE_BATCH` rows whose time has passed (``FOR UPDATE SKIP
LOCKED``: the purge never waits for another transaction), so expired rows cannot pile up
faster than hits remove them; a key hit again in time simply keeps its row.

Transactions: the methods run on the connection they are given, in its transaction. Give
them a transaction of their own (``engine.begin()``), not the request's session: a
failed sign-in answers 401 and its request rolls back, yet the hit must stay counted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from datetime import datetime, timedelta

from limits import RateLimitItem, parse
from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.errors import AppError

PURGE_BATCH = 100


class TooManyRequests(AppError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, "too_many_requests", message, data={"retry_after": retry_after})
        self.headers = {"Retry-After": str(retry_after)}


def add_rate_limit_table(metadata: MetaData) -> Table:
    return Table(
        "rate_limit",
        metadata,
        Column("scope", Text, nullable=False),
        Column("key", LargeBinary, nullable=False),  # HMAC-SHA256 of the key parts
        Column("hits", ARRAY(DateTime(timezone=True)), nullable=False),  # oldest first
        Column("expires_at", DateTime(timezone=True), nullable=False),  # newest hit + window
        PrimaryKeyConstraint("scope", "key"),
        Index("ix_rate_limit_expires_at", "expires_at"),
    )


# r.hits[cardinality(r.hits) + 1 - :amount] is the amount-th most recent hit: NULL (out of
# range) while there are fewer hits than that, so the window is full only when it is
# younger than the window.
_HIT = """
INSERT INTO {table} AS r (scope, key, hits, expires_at)
VALUES (:scope, :key, ARRAY[clock_timestamp()], clock_timestamp() + CAST(:window AS interval))
ON CONFLICT (scope, key) DO UPDATE SET
    hits = (r.hits || clock_timestamp())[greatest(cardinality(r.hits) + 2 - :amount, 1):],
    expires_at = clock_timestamp() + CAST(:window AS interval)
WHERE r.hits[cardinality(r.hits) + 1 - :amount] IS NULL
   OR r.hits[cardinality(r.hits) + 1 - :amount] <= clock_timestamp() - CAST(:window AS interval)
RETURNING r.hits[cardinality(r.hits)]
"""
_RETRY_AFTER = """
SELECT CAST(EXTRACT(EPOCH FROM
    hits[cardinality(hits) + 1 - :amount] + CAST(:window AS interval) - clock_timestamp()
) AS double precision)
FROM {table} WHERE scope = :scope AND key = :key
"""
# Each hit of a key reads the clock after the one before it committed, so no two hits of
# a key share a time and array_remove takes back exactly the one hit.
_GIVE_BACK = """
UPDATE {table} SET hits = array_remove(hits, :at)
WHERE scope = :scope AND key = :key
"""
_CLEAR = "DELETE FROM {table} WHERE scope = :scope AND key = :key"
_PURGE = """
DELETE FROM {table} WHERE (scope, key) IN (
    SELECT scope, key FROM {table} WHERE expires_at < clock_timestamp()
    ORDER BY expires_at LIMIT :batch FOR UPDATE SKIP LOCKED)
"""


class Limiter:
    """``rate`` hits per window for each key within ``scope`` (a name for what is counted)."""

    def __init__(self, rate: str, *, scope: str, table: Table, secret: bytes = b"") -> None:
        self.item: RateLimitItem = parse(rate)
        self.scope = scope
        self._secret = secret
        self._window = timedelta(seconds=self.item.get_expiry())
        self._sql = {
            name: text(sql.format(table=table.name))
            for name, sql in [
                ("hit", _HIT),
                ("retry_after", _RETRY_AFTER),
                ("give_back", _GIVE_BACK),
                ("clear", _CLEAR),
                ("purge", _PURGE),
            ]
        }

    def digest(self, *key: str) -> bytes:
        """The stored key: an HMAC of the scope and key parts, never the parts in clear."""
        message = json.dumps([self.scope, *key], ensure_ascii=False).encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def _params(self, key: tuple[str, ...]) -> dict[str, object]:
        return {
            "scope": self.scope,
            "key": self.digest(*key),
            "amount": self.item.amount,
            "window": self._window,
        }

    async def hit(self, conn: AsyncConnection, *key: str) -> datetime | None:
        """Count one hit; its time, or None when the window is full (nothing counted)."""
        at: datetime | None = (await conn.execute(self._sql["hit"], self._params(key))).scalar()
        await conn.execute(self._sql["purge"], {"batch": PURGE_BATCH})
        return at

    async def retry_after(self, conn: AsyncConnection, *key: str) -> int | None:
        """Seconds until the next hit is allowed when the window is full (≥ 1), else None."""
        result = await conn.execute(self._sql["retry_after"], self._params(key))
        seconds: float | None = result.scalar()
        if seconds is None or seconds <= 0:
            return None
        return max(1, math.ceil(seconds))

    async def give_back(self, conn: AsyncConnection, at: datetime, *key: str) -> None:
        """Take back the hit counted at ``at`` (as if it had not been made)."""
        params = {"scope": self.scope, "key": self.digest(*key), "at": at}
        await conn.execute(self._sql["give_back"], params)

    async def clear(self, conn: AsyncConnection, *key: str) -> None:
        params = {"scope": self.scope, "key": self.digest(*key)}
        await conn.execute(self._sql["clear"], params)
