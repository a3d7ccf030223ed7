"""PostgreSQL binary COPY streams built with numpy, for millions of derived rows.

A full rescore writes one row per client-day to two tables; formatting those rows one by one
in Python would cost more than computing them. In COPY's binary format a row is a field
count and, per field, a length and the value's bytes (big-endian), so rows whose NULLs and
text lengths fall in the same places share one fixed layout: a numpy structured array per
layout serialises a whole group at once. Row order does not matter to COPY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_DAYS = 10957  # 2000-01-01 in days since 1970-01-01
_FIXED = {
    "bool": "u1",
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "date": ">i4",
    "timestamp": ">i8",
}


def unique_rows(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of integer columns and, per row, the index of its distinct row."""
    mat = np.stack(columns, axis=1)
    lo, hi = mat.min(axis=0), mat.max(axis=0)
    radix = [int(h) - int(lo_) + 1 for lo_, h in zip(lo, hi, strict=True)]
    if np.prod(np.array(radix, dtype=object)) < 2**62:
        key = np.zeros(len(mat), dtype=np.int64)
        for j, r in enumerate(radix):
            key = key * r + (mat[:, j] - lo[j])
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return mat[first], inverse.reshape(-1)
    uniq, inverse = np.unique(mat, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1)


@dataclass
class Column:
    """One COPY field: its PostgreSQL kind, values and, for nullable ones, a NULL mask."""

    kind: str  # bool | int2 | int4 | int8 | float8 | date (day numbers) | timestamp | text
    values: np.ndarray
    null: np.ndarray | None = None


def timestamp_micros(value: dt.datetime) -> int:
    """A naive UTC timestamp as PostgreSQL's microseconds since 2000-01-01."""
    return int((value - dt.datetime(2000, 1, 1)) / dt.timedelta(microseconds=1))


def _prepared(col: Column, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    if col.kind == "text":
        vals = np.asarray(col.values, dtype=object)
        if vals.ndim == 0 or len(vals) != n:
            vals = np.full(n, vals.item() if vals.ndim == 0 else vals[0], dtype=object)
        lengths = np.fromiter(map(len, vals), dtype=np.int64, count=n)
        return vals, lengths
    vals = np.asarray(col.values)
    if col.kind == "date":
        vals = vals.astype(np.int64) - PG_EPOCH_DAYS
    elif col.kind in ("bool", "int2", "int4", "int8") and vals.dtype.kind == "f":
        vals = np.nan_to_num(vals, nan=0).astype(np.int64)
    if vals.ndim == 0:
        vals = np.full(n, vals)
    return vals, None


def binary_rows(columns: list[Column]) -> Iterator[bytes]:
    """COPY binary tuples (no header or trailer) for the given columns, grouped by layout.

    A last text column without NULLs (the scores' reasons: a different length on nearly
    every row) is left out of the layout and appended to each row's fixed part with one
    ``bytes.join``: grouped by its length, a chunk of rows fell into hundreds of groups of
    a few rows each."""
    n = len(next(c.values for c in columns if np.ndim(c.values) > 0))
    if n == 0:
        return
    tail = None
    if columns[-1].kind == "text" and columns[-1].null is None:
        tail = _length_prefixed(columns[-1].values, n)
    for fixed, rows in _fixed_rows(columns[:-1] if tail is not None else columns, n, len(columns)):
        if tail is None:
            yield fixed.tobytes()
            continue
        parts: list = [None] * (2 * len(rows))
        parts[0::2] = fixed.view(f"V{fixed.dtype.itemsize}").tolist()
        parts[1::2] = tail[rows].tolist()
        yield b"".join(parts)


def _length_prefixed(values, n: int) -> np.ndarray:
    """Each text as a COPY field: its UTF-8 length (4 bytes, big-endian) and its bytes."""
    vals = np.asarray(values, dtype=object)
    if vals.ndim == 0 or len(vals) != n:
        vals = np.full(n, vals.item() if vals.ndim == 0 else vals[0], dtype=object)
    out = np.empty(n, dtype=object)
    out[:] = [len(b).to_bytes(4, "big") + b for b in (str(v).encode() for v in vals.tolist())]
    return out


def _fixed_rows(
    columns: list[Column], n: int, n_fields: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per layout, a structured array of the rows' fields and the row numbers it holds."""
    prepared = [_prepared(c, n) for c in columns]
    keys: list[np.ndarray] = []
    null_bits = np.zeros(n, dtype=np.int64)
    nullable = [i for i, c in enumerate(columns) if c.null is not None]
    for bit, i in enumerate(nullable):
        null_bits |= columns[i].null.astype(np.int64) << bit
    keys.append(null_bits)
    texts = [i for i, c in enumerate(columns) if c.kind == "text"]
    keys.extend(prepared[i][1] for i in texts)
    layouts, group = unique_rows(keys)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0, True])
    for g in range(len(layouts)):
        rows = order[bounds[g] : bounds[g + 1]]
        layout = layouts[g]
        is_null = {i: bool((int(layout[0]) >> bit) & 1) for bit, i in enumerate(nullable)}
        text_len = {i: int(layout[1 + j]) for j, i in enumerate(texts)}
        fields: list[tuple[str, str]] = [("n", ">i2")]
        for i, col in enumerate(columns):
            fields.append((f"l{i}", ">i4"))
            if is_null.get(i):
                continue
            if col.kind == "text":
                if text_len[i]:
                    fields.append((f"v{i}", f"S{text_len[i]}"))
            else:
                fields.append((f"v{i}", _FIXED[col.kind]))
        arr = np.empty(len(rows), dtype=np.dtype(fields))
        arr["n"] = n_fields
        for i, col in enumerate(columns):
            if is_null.get(i):
                arr[f"l{i}"] = -1
                continue
            vals = prepared[i][0]
            if col.kind == "text":
                arr[f"l{i}"] = text_len[i]
                if text_len[i]:
                    arr[f"v{i}"] = np.array(vals[rows].tolist(), dtype=f"S{text_len[i]}")
            else:
                arr[f"l{i}"] = np.dtype(_FIXED[col.kind]).itemsize
                arr[f"v{i}"] = vals[rows]
        yield arr, rows


def decode_fixed(buffer: bytes, kinds: list[tuple[str, str]]) -> np.ndarray:
    """Parse a COPY TO binary stream whose fields are all non-NULL and fixed-width."""
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for name, kind in kinds:
        fields += [(f"l_{name}", ">i4"), (name, _FIXED[kind])]
    dtype = np.dtype(fields)
    body = len(buffer) - len(HEADER) - len(TRAILER)
    count = body // dtype.itemsize
    if count * dtype.itemsize != body:
        raise ValueError("COPY stream is not fixed-width (a NULL slipped through?)")
    return np.frombuffer(buffer, dtype=dtype, count=count, offset=len(HEADER))
