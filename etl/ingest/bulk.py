"""Bulk mode: load a large file with the target's secondary indexes (and, on PostgreSQL, its
foreign keys) set aside, and rebuild them once at the end of the same transaction.

Maintaining a random-order index row by row costs more than building it once from sorted data,
and PostgreSQL checks every foreign key row by row with a trigger; its manual advises dropping
both for large loads ("Populating a Database"). Ingest already checks every reference itself,
and re-adding a foreign key re-validates all rows in one pass, so the guarantees are the same.
The DDL is transactional on both databases: a failed or killed load restores the indexes and
constraints with everything else. On PostgreSQL a first load into an empty table (referred to by
nothing but its own satellite) also sets aside the primary key and the natural-key unique
constraint: the loader then knows every id it wrote without asking, builds both once from the
loaded rows (adding them checks uniqueness, so a duplicate still aborts the file), and puts them
back at once if it has to look rows up (``Loader`` asks, through ``restore_keys``). Elsewhere,
and on SQLite, the keys stay, since upserts need them.
SQLite cannot drop a foreign key, so there the connection stops enforcing them for the load
(``PRAGMA foreign_keys`` only changes outside a transaction) and one query per foreign key
verifies every row of the loaded tables before the commit; any violation aborts the file.

Only files at least as large as the table they load into (and over a threshold) use it, so a
daily file never pays for rebuilding a large table's indexes. On PostgreSQL the dropped objects
lock the tables until the load commits; dashboards reading the same tables wait for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    Connection,
    Constraint,
    ForeignKeyConstraint,
    Index,
    Table,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from etl.ingest.kinds.base import Target

_REBUILD_MEMORY = "256MB"


@dataclass
class SetAside:
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKeyConstraint] = field(default_factory=list)
    keys: list[Constraint] = field(default_factory=list)  # primary key, natural-key unique
    checked: list[Table] = field(default_factory=list)  # SQLite: verify keys before commit


class BrokenReference(Exception):
    """Rows loaded in bulk mode refer to rows that do not exist (a bug, never bad input)."""


def wanted(conn: Connection, target: Target, estimated_rows: int, threshold: int) -> bool:
    return estimated_rows >= threshold and estimated_rows >= existing_rows(conn, target)


def before_transaction(conn: Connection, bulk: bool) -> None:
    if bulk and conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")


def after_transaction(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def _tables(target: Target) -> list[Table]:
    return [t for t in (target.table, target.satellite) if t is not None]


def set_aside(conn: Connection, target: Target) -> SetAside:
    """Drop the target's non-unique indexes (and FKs on PostgreSQL) that exist right now."""
    aside = SetAside()
    inspector = inspect(conn)
    postgres = conn.dialect.name == "postgresql"
    if not postgres:
        aside.checked = _tables(target)
    for table in _tables(target):
        present = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            if not index.unique and index.name in present:
                conn.execute(DropIndex(index))
                aside.indexes.append(index)
        if postgres:
            fks = {fk["name"] for fk in inspector.get_foreign_keys(table.name)}
            for fk in sorted(table.foreign_key_constraints, key=lambda c: c.name or ""):
                if fk.name in fks:
                    conn.execute(DropConstraint(fk, isolate_from_table=False))
                    aside.foreign_keys.append(fk)
    if postgres and existing_rows(conn, target) == 0 and _only_own_references(target):
        for table in _tables(target):
            for key in _keys(conn, table):
                # isolate_from_table=False: the default would leave the key out of every later
                # CREATE TABLE of this process's metadata (a test's fresh database, for one).
                conn.execute(DropConstraint(key, isolate_from_table=False))
                aside.keys.append(key)
    return aside


def _keys(conn: Connection, table: Table) -> list[Constraint]:
    """The table's primary key and single-table unique constraints present in the database."""
    inspector = inspect(conn)
    present = {inspector.get_pk_constraint(table.name).get("name")}
    present |= {u["name"] for u in inspector.get_unique_constraints(table.name)}
    keys: list[Constraint] = [table.primary_key]
    keys += [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    return [k for k in keys if k.name in present]


def _only_own_references(target: Target) -> bool:
    """Whether every foreign key that refers to the target's tables is one set aside with them
    (the satellite's), so their keys can go for the load."""
    own = {t.name for t in _tables(target)}
    for table in target.table.metadata.tables.values():
        for fk in table.foreign_keys:
            if fk.column.table.name in own and table.name not in own:
                return False
    return True


def restore_keys(conn: Connection, aside: SetAside) -> None:
    """Put the primary and unique keys back (before anything looks rows up by them)."""
    for key in aside.keys:
        conn.execute(AddConstraint(key, isolate_from_table=False))
    aside.keys.clear()


def restore(conn: Connection, aside: SetAside) -> None:
    if conn.dialect.name == "postgresql" and (aside.keys or aside.indexes):
        # Sorts for the rebuilt keys and indexes of a million rows fit in memory (the server's
        # default, 64 MB, spills them to disk); for this transaction only.
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{_REBUILD_MEMORY}'")
    restore_keys(conn, aside)  # first: the foreign keys below refer to them
    for index in aside.indexes:
        conn.execute(CreateIndex(index))
    for fk in aside.foreign_keys:
        conn.execute(AddConstraint(fk, isolate_from_table=False))  # see etl/risk/bulk.py
    for table in aside.checked:
        broken = _broken_references(conn, table)
        if broken:
            raise BrokenReference(f"{broken} rows of {table.name} refer to missing rows")


def _broken_references(conn: Connection, table: Table) -> int:
    """Rows of ``table`` whose foreign keys name no row, one set-based query per key.

    ``PRAGMA foreign_key_check`` looks every row's parent up in turn; ``NOT IN`` over the
    parent's keys builds them into one temporary index first, several times faster for a
    million rows. A key of several columns is left to the pragma."""
    broken = 0
    for fk in table.foreign_key_constraints:
        if len(fk.elements) != 1:
            found = conn.exec_driver_sql(f"PRAGMA foreign_key_check({table.name})").fetchall()
            return len(found)
        (element,) = fk.elements
        child, parent = element.parent.name, element.column
        sql = (
            f"SELECT COUNT(*) FROM {table.name} WHERE {child} IS NOT NULL AND {child} NOT IN "
            f"(SELECT {parent.name} FROM {parent.table.name})"
        )
        broken += int(conn.exec_driver_sql(sql).scalar() or 0)
    return broken


def existing_rows(conn: Connection, target: Target) -> int:
    """A cheap upper bound on the table's size: its highest surrogate key."""
    key = target.surrogate_key
    top = conn.exec_driver_sql(f"SELECT MAX({key}) FROM {target.table.name}").scalar()
    return int(top or 0)
