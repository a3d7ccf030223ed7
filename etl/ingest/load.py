"""Set-based upserts of validated rows into their target tables, on SQLite and PostgreSQL.

Per chunk: look up which natural ids already exist (one query), then split the rows into new,
unchanged (same content hash) and corrected ones. New rows get surrogate keys up front and are
bulk-inserted (binary COPY on PostgreSQL, one ``executemany`` on SQLite); corrections record what
changed in ``etl_record_history`` before they overwrite; unchanged rows are not written at all,
so loading a file twice writes nothing the second time. The caller's transaction spans the file.

A natural id repeated inside one chunk is applied in order, one occurrence per round, so the
later row is a correction of the earlier one exactly as if they had come in two files.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from etl.changes import ChangeSet
from etl.ingest import pgcopy
from etl.ingest.convert import arrow_table, python_rows, sqlite_columns
from etl.ingest.kinds.base import Target
from etl.models import EtlRecordHistory

REDACTED = "[redacted]"
_BATCH = 10_000
_COPY_PIECE = 1 << 20
_REMEMBER_AT_MOST = 2_000_000


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


class Loader:
    """Writes one file's rows inside the caller's open transaction."""

    def __init__(self, conn: Connection, load_id: int, now: dt.datetime) -> None:
        self.conn = conn
        self.load_id = load_id
        self.now = now
        self.postgres = conn.dialect.name == "postgresql"
        # For a table that was empty when this file began (a first load), the ids this file
        # inserted are all that can exist, so they are remembered instead of looked up.
        self._inserted_ids: dict[str, set[str] | None] = {}
        # Tables whose keys bulk mode set aside (``etl.ingest.bulk``): how to put them back,
        # called before the first query that looks rows up by them.
        self.keys_aside: dict[str, Callable[[], None]] = {}

    # -- the upsert ----------------------------------------------------------------------------

    def upsert(self, target: Target, rows: pd.DataFrame, changes: ChangeSet) -> Counts:
        counts = Counts()
        if rows.empty:
            return counts
        if rows[target.natural_key].is_unique:  # the usual case: one hash pass, no grouping
            return self._upsert_once(target, rows, changes)
        rounds = rows.groupby(target.natural_key, sort=False).cumcount().to_numpy()
        for r in range(int(rounds.max()) + 1):
            part = rows[rounds == r].reset_index(drop=True)
            counts.add(self._upsert_once(target, part, changes))
        return counts

    def _upsert_once(self, target: Target, rows: pd.DataFrame, changes: ChangeSet) -> Counts:
        nk, key = target.natural_key, target.surrogate_key
        known = self._existing(target, rows[nk].tolist())
        if known.empty:  # none of them exists yet (a first load): nothing to join against
            self._insert_new(target, rows, changes)
            return Counts(inserted=len(rows))
        merged = rows.merge(known, on=nk, how="left")
        exists = merged[key].notna().to_numpy()
        same = exists & (merged["row_hash"] == merged["_old_hash"]).to_numpy()
        fresh = merged[~exists].drop(columns=[key, "_old_hash"])
        corrected = merged[exists & ~same].drop(columns=["_old_hash"])
        if len(fresh):
            self._insert_new(target, fresh, changes)
        if len(corrected):
            corrected = corrected.assign(**{key: corrected[key].astype("int64")})
            self._correct(target, corrected, changes)
        return Counts(inserted=len(fresh), updated=len(corrected), unchanged=int(same.sum()))

    def _insert_new(self, target: Target, rows: pd.DataFrame, changes: ChangeSet) -> None:
        fresh = rows.assign(**{target.surrogate_key: self._allocate(target, len(rows))})
        self._insert_rows(target, fresh)
        self._remember(target, fresh[target.natural_key])
        self._touch(target, fresh, changes)

    # -- reads ---------------------------------------------------------------------------------

    @property
    def _ids_sql(self) -> str:
        """A list of ids bound as one JSON text: binding 50,000 parameters, or an array, costs
        more in the driver than the query costs in the database."""
        if self.postgres:
            return "SELECT json_array_elements_text(%s::json)"
        return "SELECT value FROM json_each(?)"

    def _existing(self, target: Target, ids: list[str]) -> pd.DataFrame:
        t = target.table.name
        nk, key = target.natural_key, target.surrogate_key
        if t not in self._inserted_ids:
            top = self.conn.exec_driver_sql(f"SELECT MAX({key}) FROM {t}").scalar()
            self._inserted_ids[t] = set() if top is None else None
        seen = self._inserted_ids[t]
        if seen is not None:
            ids = [i for i in ids if i in seen]
            if not ids:
                return pd.DataFrame(
                    {
                        nk: pd.Series([], dtype="str"),
                        key: pd.Series([], dtype="Int64"),
                        "_old_hash": pd.Series([], dtype="str"),
                    }
                )
        self._keyed(t)
        sql = f"SELECT {nk}, {key}, row_hash FROM {t} WHERE {nk} IN ({self._ids_sql})"
        params = (json.dumps(ids),)
        found = self.conn.exec_driver_sql(sql, params).all()
        frame = pd.DataFrame(found, columns=[nk, key, "_old_hash"])
        return frame.astype({nk: "str", "_old_hash": "str", key: "Int64"})

    def loaded_since(self, target: Target, rows: pd.DataFrame, load_ids: np.ndarray) -> np.ndarray:
        """Which rows' records were last written by a load later than the given one."""
        nk = target.natural_key
        if rows.empty:
            return np.zeros(0, dtype=bool)
        self._keyed(target.table.name)
        sql = f"SELECT {nk}, load_id FROM {target.table.name} WHERE {nk} IN ({self._ids_sql})"
        found = dict(self.conn.exec_driver_sql(sql, (json.dumps(rows[nk].tolist()),)).all())
        current = rows[nk].map(lambda i: found.get(i) or 0).to_numpy(dtype=np.int64)
        return current > np.asarray(load_ids, dtype=np.int64)

    def _keyed(self, table_name: str) -> None:
        restore = self.keys_aside.pop(table_name, None)
        if restore is not None:
            restore()

    def _remember(self, target: Target, ids: pd.Series) -> None:
        seen = self._inserted_ids.get(target.table.name)
        if seen is None:
            return
        seen.update(ids.tolist())
        if len(seen) > _REMEMBER_AT_MOST:  # bounded memory: back to asking the database
            self._inserted_ids[target.table.name] = None

    def _allocate(self, target: Target, n: int) -> np.ndarray:
        t, key = target.table.name, target.surrogate_key
        if self.postgres:
            # One block of n keys from the table's sequence. The ingest lock serialises loads,
            # and nothing else inserts into ingest's tables, so nextval and setval cannot race.
            seq = f"pg_get_serial_sequence('{t}', '{key}')"
            sql = f"SELECT setval({seq}, nextval({seq}) + %s - 1)"
            last = int(self.conn.exec_driver_sql(sql, (n,)).scalar_one())
            return np.arange(last - n + 1, last + 1, dtype=np.int64)
        # SQLite: the file's transaction began IMMEDIATE, so no other writer can race us here.
        top = self.conn.exec_driver_sql(f"SELECT COALESCE(MAX({key}), 0) FROM {t}").scalar()
        return np.arange(int(top) + 1, int(top) + 1 + n, dtype=np.int64)

    # -- writes --------------------------------------------------------------------------------

    def _main_frame(self, target: Target, rows: pd.DataFrame, stamped: bool = True) -> pd.DataFrame:
        cols = [target.surrogate_key, target.natural_key, *target.columns, "row_hash"]
        frame = rows[cols].copy()
        if stamped:
            frame["load_id"] = self.load_id
            frame["updated_at"] = pd.Timestamp(self.now)
        return frame

    def _stamp(self) -> dict[str, object]:
        """The columns every row a load writes has in common (written once per statement)."""
        return {"load_id": self.load_id, "updated_at": pd.Timestamp(self.now)}

    def _satellite_frame(self, target: Target, rows: pd.DataFrame) -> pd.DataFrame:
        frame = rows[[target.surrogate_key, *target.satellite_columns]]
        if target.satellite_when:
            frame = frame[frame[target.satellite_when].notna()]
        return frame

    def _insert_rows(self, target: Target, rows: pd.DataFrame) -> None:
        main = self._main_frame(target, rows, stamped=False)
        self.bulk_insert(target.table, main, constants=self._stamp())
        if target.satellite is not None:
            self.bulk_insert(target.satellite, self._satellite_frame(target, rows))

    def bulk_insert(self, table, frame: pd.DataFrame, constants: dict | None = None) -> None:
        """Insert ``frame``, plus ``constants`` (column -> one value for every row): bound
        once per statement on SQLite instead of once per row."""
        if frame.empty:
            return
        if self.postgres and constants:
            frame = frame.assign(**constants)
            constants = None
        names = ", ".join([*frame.columns, *(constants or {})])
        if self.postgres:
            columns = arrow_table(frame, table)
            if pgcopy.encodable(table, list(frame.columns)):
                data, form = memoryview(pgcopy.encode(table, columns)), "binary"
            else:
                text = io.BytesIO()
                pacsv.write_csv(columns, text, pacsv.WriteOptions(include_header=False))
                data, form = text.getbuffer(), "csv"
            raw = self.conn.connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT {form})") as copy,
            ):
                for start in range(0, len(data), _COPY_PIECE):
                    copy.write(data[start : start + _COPY_PIECE])
            del data
            return
        marks = ", ".join("?" * len(frame.columns))
        values = sqlite_columns(frame, table)
        if constants:
            fixed = pd.DataFrame({k: [v] for k, v in constants.items()})
            literals = [_sqlite_literal(v[0]) for v in sqlite_columns(fixed, table)]
            marks = ", ".join([marks, *literals])
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
            cursor.executemany(sql, zip(*values, strict=True))
        finally:
            cursor.close()

    def _correct(self, target: Target, rows: pd.DataFrame, changes: ChangeSet) -> None:
        key = target.surrogate_key
        old = self._old_rows(target, rows[key].tolist())
        self._record_history(target, rows, old)
        main = self._main_frame(target, rows)
        set_cols = [c for c in main.columns if c not in (key, target.natural_key)]
        stmt = (
            update(target.table)
            .where(target.table.c[key] == bindparam("_key"))
            .values({c: bindparam(f"_v_{c}") for c in set_cols})
        )
        params = [
            {"_key": r[key], **{f"_v_{c}": r[c] for c in set_cols}}
            for r in python_rows(main, target.table)
        ]
        for batch in _batches(params):
            self.conn.execute(stmt, batch)
        if target.satellite is not None:
            sat = target.satellite
            for batch in _batches(rows[key].tolist()):
                self.conn.execute(delete(sat).where(sat.c[key].in_(batch)))
            self.bulk_insert(sat, self._satellite_frame(target, rows))
        self._touch(target, rows, changes)
        if target.touch:
            touched_old = old.dropna(subset=[target.touch[0], target.touch[1]])
            self._touch(target, touched_old, changes)

    def _old_rows(self, target: Target, keys: list[int]) -> pd.DataFrame:
        t, key = target.table, target.surrogate_key
        cols = [t.c[key], t.c[target.natural_key], *(t.c[c] for c in target.columns)]
        stmt_base = select(*cols)
        if target.satellite is not None:
            sat = target.satellite
            cols += [sat.c[c] for c in target.satellite_columns]
            stmt_base = select(*cols).select_from(t.outerjoin(sat, sat.c[key] == t.c[key]))
        out: list[dict] = []
        for batch in _batches(keys):
            out += [
                dict(r) for r in self.conn.execute(stmt_base.where(t.c[key].in_(batch))).mappings()
            ]
        return pd.DataFrame(out, columns=[c.name for c in cols])

    def _record_history(self, target: Target, rows: pd.DataFrame, old: pd.DataFrame) -> None:
        key = target.surrogate_key
        fields = [
            c for c in (*target.columns, *target.satellite_columns) if c not in target.derived
        ]
        by_key = {r[key]: r for r in old.to_dict("records")}
        new_values = _py_values(rows, target, fields)
        history = []
        for i, k in enumerate(rows[key].tolist()):
            before = by_key.get(k, {})
            diff = {}
            for f in fields:
                a, b = _plain(before.get(f)), new_values[f][i]
                if a != b:
                    hidden = f in target.pii
                    diff[f] = {
                        "old": REDACTED if hidden else _jsonable(a),
                        "new": REDACTED if hidden else _jsonable(b),
                    }
            history.append(
                {
                    "table_name": target.table.name,
                    "natural_id": str(rows[target.natural_key].iloc[i]),
                    "load_id": self.load_id,
                    "changed_at": self.now,
                    "changes": diff,
                }
            )
        for batch in _batches(history):
            self.conn.execute(insert(EtlRecordHistory), batch)

    # -- withdrawals -----------------------------------------------------------------------------

    def remove(self, target: Target, ids: list[str], changes: ChangeSet) -> int:
        """Delete records the source withdrew (FHIR ``entered-in-error``), keeping in the
        history what each held (identifiers redacted); returns how many existed."""
        if not ids:
            return 0
        key = target.surrogate_key
        found = self._existing(target, list(dict.fromkeys(ids)))
        if found.empty:
            return 0
        keys = [int(k) for k in found[key]]
        old = self._old_rows(target, keys)
        fields = [
            c for c in (*target.columns, *target.satellite_columns) if c not in target.derived
        ]
        history = [
            {
                "table_name": target.table.name,
                "natural_id": str(r[target.natural_key]),
                "load_id": self.load_id,
                "changed_at": self.now,
                "changes": {
                    "_withdrawn": {"old": False, "new": True},
                    **{
                        f: {
                            "old": REDACTED if f in target.pii else _jsonable(_plain(r.get(f))),
                            "new": None,
                        }
                        for f in fields
                        if _plain(r.get(f)) is not None
                    },
                },
            }
            for r in old.to_dict("records")
        ]
        for batch in _batches(history):
            self.conn.execute(insert(EtlRecordHistory), batch)
        for batch in _batches(keys):
            if target.satellite is not None:
                sat = target.satellite
                self.conn.execute(delete(sat).where(sat.c[key].in_(batch)))
            self.conn.execute(delete(target.table).where(target.table.c[key].in_(batch)))
        if target.touch:
            self._touch(target, old.dropna(subset=list(target.touch)), changes)
        seen = self._inserted_ids.get(target.table.name)
        if seen is not None:
            seen.difference_update(found[target.natural_key])
        return len(keys)

    # -- what changed, for the derived facts ---------------------------------------------------

    def _touch(self, target: Target, rows: pd.DataFrame, changes: ChangeSet) -> None:
        if not target.touch or rows.empty:
            return
        client_col, date_col = target.touch
        pairs = pd.DataFrame(
            {"c": rows[client_col].astype("Int64"), "d": pd.to_datetime(rows[date_col])}
        ).dropna()
        if pairs.empty:
            return
        for client, day in pairs.groupby("c")["d"].min().items():
            changes.touch(int(client), day.date())


def _py_values(rows: pd.DataFrame, target: Target, fields: list[str]) -> dict[str, list]:
    table_of = {c: target.table for c in target.columns}
    if target.satellite is not None:
        table_of.update({c: target.satellite for c in target.satellite_columns})
    out = {}
    for f in fields:
        frame = rows[[f]]
        out[f] = [r[f] for r in python_rows(frame, table_of[f])]
    return out


def _sqlite_literal(value: object) -> str:
    """A load's own number or time as SQL text (never a value read from a file)."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    text = str(value)
    if not all(ch.isdigit() or ch in "-: ." for ch in text):
        raise ValueError("not a load stamp")
    return f"'{text}'"


def _plain(value: object) -> object:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _jsonable(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _batches(items: list, size: int = _BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
