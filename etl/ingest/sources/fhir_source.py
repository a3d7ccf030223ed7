"""FHIR R4 files: one resource or a Bundle (``.json``), or Bulk Data NDJSON (``.ndjson``,
``.ndjson.gz``), told apart by content, and CDS Hooks requests (resources under ``prefetch``).

Every resource is checked against its ``fhir.resources.R4B`` model (R4 data does not validate
against the package's default R5 models); one that fails is quarantined with the JSON path of
the first problem. What passes becomes contract rows through ``etl.fhir.records``.

The file is read twice, so that the roster loads before the facts that name it whatever order
the resources come in: first Patients and EpisodeOfCare (a roster row is a Patient with its
latest episode; kept in memory, as large as the roster), then everything else, streamed line by
line for NDJSON with memory bounded by the chunk size. A Bundle is a single JSON document and is
held whole. Every record is counted once: a row, a rejected record, a withdrawal or a skip.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
from pydantic import ValidationError

from etl.fhir import contract as c
from etl.fhir import records as r
from etl.fhir.fastcheck import plain_response
from etl.fhir.fastrow import CheckinRows
from etl.ingest.errors import FileRejected
from etl.ingest.kinds import BY_NAME, Kind
from etl.ingest.sources.base import Chunk, LoadContext, Malformed

GZIP_MAGIC = b"\x1f\x8b"
BUNDLE_TYPES = frozenset({"collection", "transaction", "batch", "searchset", "message"})
ROSTER_TYPES = frozenset({"Patient", "EpisodeOfCare"})
_LINE_KEEP = 100_000  # an unreadable NDJSON line is kept in the quarantine up to this length


@dataclass
class Resource:
    body: dict
    line: int | None  # NDJSON line
    path: str  # JSON path of the resource in the document ("" at the root / per NDJSON line)
    full_url: str | None = None


@dataclass
class _Unreadable:
    line: int
    text: str
    reason: str


@cache
def _model(resource_type: str):
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def validate(resource: dict) -> tuple[str, str] | None:
    """(path, reason) of the first problem, or None when the resource fits its R4B model.
    A check-in of the contract's plain shape passes a strict check of its own first
    (``etl.fhir.fastcheck``); anything else is the model's to judge."""
    if plain_response(resource):
        return None
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        return "resourceType", "resourceType is missing"
    try:
        model = _model(rtype)
    except (ValueError, AttributeError):
        return "resourceType", f"'{rtype[:60]}' is not a FHIR R4 resource type"
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = _loc(first.get("loc", ()))
        return path, f"{rtype} does not validate against FHIR R4: {path or rtype}: {first['msg']}"
    return None


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out = f"{out}.{part}" if out else part
    return out


@dataclass
class FhirFile:
    path: Path
    ndjson: bool
    compressed: bool
    size: int
    document: dict | None = None
    unknown_columns: list[str] = field(default_factory=list)
    label: str = "fhir"
    has_roster: bool = True  # a Patient or EpisodeOfCare near the start: load with the roster
    _sha256: str | None = None

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """Files of facts only sort after roster files given in the same run."""
        names = ("clients",) if self.has_roster else ()
        names += ("checkins", "drug_screens", "bam")
        return tuple(sorted((BY_NAME[n] for n in names if n in BY_NAME), key=lambda k: k.order))

    @property
    def estimated_rows(self) -> int:
        return int(self.size * (8 if self.compressed else 1) / 900)

    def sha256(self) -> str | None:
        return self._sha256

    # -- reading -------------------------------------------------------------------------------

    def _resources(
        self, digest: hashlib._Hash | None = None, only: tuple[str, ...] = ()
    ) -> Iterator[Resource | _Unreadable]:
        """Every resource in order. With ``only`` (quoted type names), NDJSON lines that cannot
        hold one of those types are passed over unparsed (any escape sequence is parsed)."""
        if not self.ndjson:
            assert self.document is not None
            yield from _document_resources(self.document)
            return
        raw = open(self.path, "rb")  # noqa: SIM115 - closed below
        try:
            stream: io.BufferedIOBase = _Hashing(raw, digest) if digest else raw
            if self.compressed:
                stream = gzip.GzipFile(fileobj=stream)
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict")
            for number, line in enumerate(text, start=1):
                if only and not any(name in line for name in only) and "\\u" not in line:
                    continue
                if not line.strip():
                    continue
                try:
                    body = _loads(line)
                except json.JSONDecodeError:
                    yield _Unreadable(number, line[:_LINE_KEEP], f"line {number} is not JSON")
                    continue
                if not isinstance(body, dict):
                    yield _Unreadable(number, line[:_LINE_KEEP], f"line {number} is not a resource")
                    continue
                yield Resource(body, number, "")
            if digest is not None:
                while stream.read(1 << 20):
                    pass
        except UnicodeDecodeError as exc:
            raise FileRejected("is not UTF-8 text") from exc
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise FileRejected("is not a valid gzip file (truncated or corrupt)") from exc
        finally:
            raw.close()

    def chunks(
        self, rows: int, exact: bool = False, context: LoadContext | None = None
    ) -> Iterator[Chunk]:
        digest = hashlib.sha256()
        reader = _Reader(self, rows, context)
        wanted = tuple(f'"{t}"' for t in (*ROSTER_TYPES, "Organization", "Practitioner"))
        yield from reader.roster(self._resources(digest if self.ndjson else None, wanted))
        if self.ndjson:
            self._sha256 = digest.hexdigest()
        yield from reader.facts(self._resources())


def _text_column(values: tuple[str, ...]) -> pd.Series:
    return pd.Series(pa.array(values, type=pa.large_string()).to_pandas(), dtype="str")


def _loads(line: str) -> object:
    """orjson, and the standard parser for what orjson refuses (NaN, integers past 64 bits,
    lone surrogates), so a line parses exactly as ``json.loads`` would read it, only faster."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


class _Hashing(io.RawIOBase):
    def __init__(self, raw, digest) -> None:
        self._raw, self._digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self._digest.update(memoryview(buffer)[:n])
        return n or 0


def _document_resources(doc: dict) -> Iterator[Resource | _Unreadable]:
    if "prefetch" in doc and "hook" in doc:  # a CDS Hooks request
        for key, value in (doc.get("prefetch") or {}).items():
            if (
                isinstance(value, dict)
                and "resourceType" not in value
                and isinstance(value.get("resource"), dict)
            ):  # a read response: {"response": {...}, "resource": {...}}
                yield from _in(value["resource"], f"prefetch.{key}.resource", None)
            elif isinstance(value, dict):
                yield from _in(value, f"prefetch.{key}", None)
        return
    yield from _in(doc, "", None)


def _in(resource: dict, path: str, full_url: str | None) -> Iterator[Resource]:
    if resource.get("resourceType") != "Bundle":
        yield Resource(resource, None, path, full_url)
        return
    for i, entry in enumerate(resource.get("entry") or []):
        body = entry.get("resource") if isinstance(entry, dict) else None
        here = r.join(path, f"entry[{i}].resource")
        if isinstance(body, dict) and body.get("resourceType") == "Bundle":
            yield Resource({"resourceType": "_NestedBundle"}, None, here)
        elif isinstance(body, dict):
            yield Resource(body, None, here, entry.get("fullUrl"))
        else:
            yield Resource({"resourceType": "_NoResource"}, None, r.join(path, f"entry[{i}]"))


class _Buffer:
    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.rows: list[list[str]] = []  # values in the kind's column order
        self.lines: list[int] = []
        self.paths: list[dict[str, str]] = []
        self.withdrawn: list[str] = []

    def __len__(self) -> int:
        return len(self.rows) + len(self.withdrawn)


class _Reader:
    """The two passes over one file, and the references they resolve."""

    def __init__(self, file: FhirFile, rows: int, context: LoadContext | None) -> None:
        self.file = file
        self.rows = rows
        self.context = context
        self.patients: dict[str, str] = {}  # "Patient/<id>" and fullUrl -> client_id
        self.orgs: dict[str, dict] = {}  # "Organization/<id>" / fullUrl -> resource
        self.practitioners: dict[str, dict] = {}
        self.malformed: list[Malformed] = []
        self.skipped: dict[tuple[str | None, str], int] = {}
        self.links: dict[str, str] = {}
        self.refused: set[str] = set()  # Patients of this file that were themselves rejected
        self.loadable = frozenset(k.name for k in file.kinds)

    # -- shared --------------------------------------------------------------------------------

    def _skip(self, kind: str | None, reason: str) -> None:
        self.skipped[(kind, reason)] = self.skipped.get((kind, reason), 0) + 1

    def _bad(self, res: Resource, kind: str | None, reason: str, rel: str, column=None) -> None:
        self.malformed.append(
            Malformed(
                line=res.line,
                fields=res.body,
                reason=reason,
                json_path=r.join(res.path, rel) or None,
                column=column,
                kind_name=kind or "other",
            )
        )

    def _flush(self, buf: _Buffer, kind: Kind | None = None) -> Chunk:
        kind = kind or buf.kind
        columns = list(kind.columns)
        if buf.rows:
            by_column = zip(*buf.rows, strict=True)
            frame = pd.DataFrame(
                {col: _text_column(values) for col, values in zip(columns, by_column, strict=True)}
            )
        else:
            frame = pd.DataFrame({col: pd.Series([], dtype="str") for col in columns})
        chunk = Chunk(
            frame=frame,
            lines=np.asarray(buf.lines, dtype=np.int64),
            malformed=self.malformed,
            kind=kind,
            json_paths=buf.paths,
            skipped=self.skipped,
            withdrawn=buf.withdrawn,
            links=self.links,
        )
        self.malformed, self.skipped, self.links = [], {}, {}
        buf.rows, buf.lines, buf.paths, buf.withdrawn = [], [], [], []
        return chunk

    def _add(self, buf: _Buffer, row: r.Row, res: Resource, extra: dict | None = None) -> None:
        buf.rows.append([row.values.get(col, "") for col in buf.kind.columns])
        buf.lines.append(-1 if res.line is None else res.line)
        if extra:  # paths into another resource (the Patient of a roster row): absolute
            paths = {k: r.join(res.path, v) for k, v in row.paths.items()}
            paths.update(extra)
            buf.paths.append((res.path, paths, True))
        else:  # spelt out only for a row that ends in the quarantine
            buf.paths.append((res.path, row.paths, False))

    def _ref_key(self, ref: str) -> str:
        """``Patient/x``, ``https://host/fhir/Patient/x`` and ``Patient/x/_history/2`` alike."""
        parts = ref.split("/")
        if "_history" in parts:
            parts = parts[: parts.index("_history")]
        return "/".join(parts[-2:]) if len(parts) >= 2 else ref

    def _subject(self, ref: dict) -> str | None:
        if ref.get("reference"):
            text = str(ref["reference"])
            found = self.patients.get(text) or self.patients.get(self._ref_key(text))
            if found:
                return found
            key = self._ref_key(text)
            if key.startswith("Patient/") and self.context is not None:
                return self.context.patient_client_id(key.split("/", 1)[1])
            return None
        value = (ref.get("identifier") or {}).get("value")
        return str(value) if value else None

    def _id_by(self, known: dict[str, dict], system: str):
        def resolve(ref: dict) -> str | None:
            if ref.get("reference"):
                text = str(ref["reference"])
                body = known.get(text) or known.get(self._ref_key(text))
                return r.identifier_of(body, system) if body else None
            value = (ref.get("identifier") or {}).get("value")
            return str(value) if value else None

        return resolve

    # -- pass 1: the roster --------------------------------------------------------------------

    def roster(self, resources: Iterator[Resource | _Unreadable]) -> Iterator[Chunk]:
        patients: dict[str, tuple[Resource, tuple[str, str]]] = {}
        accepted: list[Resource] = []  # every valid Patient, named or not, counted once
        episodes: list[Resource] = []
        for res in resources:
            if isinstance(res, _Unreadable):
                continue  # counted once, in the second pass
            rtype = res.body.get("resourceType")
            if rtype in ("Organization", "Practitioner"):
                store = self.orgs if rtype == "Organization" else self.practitioners
                if res.body.get("id"):
                    store[f"{rtype}/{res.body['id']}"] = res.body
                if res.full_url:
                    store[res.full_url] = res.body
                continue
            if rtype not in ROSTER_TYPES:
                continue
            problem = validate(res.body)
            if problem:
                self._bad(res, "clients", problem[1], problem[0])
                self._refuse(res)
                continue
            if rtype == "EpisodeOfCare":
                episodes.append(res)
                continue
            ident = r.client_identifier(res.body)
            if ident is None:
                self._bad(
                    res,
                    "clients",
                    "Patient has no identifier (its value is the client_id)",
                    "identifier",
                    "client_id",
                )
                self._refuse(res)
                continue
            accepted.append(res)
            keys = [f"Patient/{res.body['id']}"] if res.body.get("id") else []
            if res.full_url:
                keys.append(res.full_url)
            for key in keys:
                self.patients[key] = ident[0]
                patients[key] = (res, ident)
            if res.body.get("id") and len(ident[0]) <= 64:  # a longer id is no client_id
                self.links[str(res.body["id"])] = ident[0]
        buf = _Buffer(BY_NAME["clients"])
        chosen = self._latest_episodes(episodes, patients)
        used: set[int] = set()
        program = self._id_by(self.orgs, c.PROGRAM_SYSTEM)
        staff = self._id_by(self.practitioners, c.STAFF_SYSTEM)
        for res in episodes:
            status = res.body.get("status")
            ref = (res.body.get("patient") or {}).get("reference") or ""
            owner = patients.get(ref) or patients.get(self._ref_key(ref))
            if owner is None:
                self._bad(
                    res,
                    "clients",
                    r.unresolved("patient", res.body.get("patient")),
                    "patient",
                    "client_id",
                )
                continue
            if status == "entered-in-error":
                self._skip(
                    "clients",
                    "EpisodeOfCare entered-in-error (roster removals are not loaded from FHIR)",
                )
                continue
            if chosen.get(id(owner[0])) is not res:
                self._skip(
                    "clients", "an earlier EpisodeOfCare of the same Patient (the latest loads)"
                )
                continue
            used.add(id(owner[0]))
            patient_res, ident = owner
            row, pii_paths = r.episode_row(
                res.body, patient_res.body, ident, program=program, staff=staff
            )
            extra = {k: r.join(patient_res.path, v) for k, v in pii_paths.items()}
            extra["client_id"] = r.join(patient_res.path, ident[1])
            self._add(buf, row, res, extra)
            if len(buf) >= self.rows:
                yield self._flush(buf)
        for res in accepted:
            if id(res) in used:
                continue
            self._skip("clients", "Patient without an EpisodeOfCare in the file (not enrolled)")
        yield self._flush(buf)

    def _refuse(self, res: Resource) -> None:
        if res.body.get("resourceType") != "Patient":
            return
        if res.body.get("id"):
            self.refused.add(f"Patient/{res.body['id']}")
        if res.full_url:
            self.refused.add(res.full_url)

    def _latest_episodes(self, episodes, patients) -> dict[int, Resource]:
        best: dict[int, Resource] = {}
        for res in episodes:
            if res.body.get("status") == "entered-in-error":
                continue
            ref = (res.body.get("patient") or {}).get("reference") or ""
            owner = patients.get(ref) or patients.get(self._ref_key(ref))
            if owner is None:
                continue
            start = ((res.body.get("period") or {}).get("start")) or ""
            held = best.get(id(owner[0]))
            if held is None or start >= (((held.body.get("period") or {}).get("start")) or ""):
                best[id(owner[0])] = res
        return best

    # -- pass 2: the facts ---------------------------------------------------------------------

    def facts(self, resources: Iterator[Resource | _Unreadable]) -> Iterator[Chunk]:
        buffers = {
            name: _Buffer(BY_NAME[name])
            for name in ("checkins", "drug_screens", "bam")
            if name in BY_NAME
        }
        last = buffers["checkins"]
        plain = CheckinRows(BY_NAME["checkins"].columns) if "checkins" in self.loadable else None
        for res in resources:
            if len(self.malformed) >= self.rows:  # rejected resources are held whole: bound them
                yield self._flush(_Buffer(last.kind))
            if isinstance(res, _Unreadable):
                self.malformed.append(
                    Malformed(
                        line=res.line,
                        fields={"_line": res.text},
                        reason=res.reason,
                        kind_name="other",
                    )
                )
                continue
            rtype = res.body.get("resourceType")
            if rtype in ROSTER_TYPES:
                continue
            fast = plain.row(res.body, self._subject) if plain is not None else None
            if fast is not None:  # the plain check-in: checked and read in one pass
                buf = buffers["checkins"]
                buf.rows.append(fast[0])
                buf.lines.append(-1 if res.line is None else res.line)
                buf.paths.append((res.path, fast[1], False))
                if len(buf) >= self.rows:
                    yield self._flush(buf)
                    last = buf
                continue
            outcome = self._fact(res, rtype)
            if outcome is None:
                continue
            if isinstance(outcome, r.Skip):
                self._skip(outcome.kind, outcome.reason)
                continue
            if isinstance(outcome, r.Bad):
                reason = outcome.reason
                ref = str((res.body.get("subject") or {}).get("reference") or "")
                if outcome.column == "client_id" and (
                    ref in self.refused or self._ref_key(ref) in self.refused
                ):
                    reason = f"subject {ref[:80]} is a Patient of this file that was rejected"
                self._bad(res, outcome.kind, reason, outcome.path, outcome.column)
                continue
            buf = buffers[outcome.kind]
            if isinstance(outcome, r.Withdraw):
                buf.withdrawn.append(outcome.natural_id)
            else:
                self._add(buf, outcome, res)
            if len(buf) >= self.rows:
                yield self._flush(buf)
                last = buf
        for buf in buffers.values():
            if len(buf):
                yield self._flush(buf)
                last = buf
        if self.malformed or self.skipped:
            yield self._flush(_Buffer(last.kind))

    def _fact(self, res: Resource, rtype: str | None) -> r.Outcome | None:
        if rtype == "_NestedBundle":
            return r.Skip(None, "a Bundle inside a Bundle is not read")
        if rtype == "_NoResource":
            return r.Skip(None, "Bundle entry without a resource")
        if rtype == "QuestionnaireResponse":
            kind = r.questionnaire_kind(res.body, self.loadable)
        elif rtype == "Observation":
            kind = "drug_screens" if r.screen_substance(res.body) else None
        else:
            kind = None
        problem = validate(res.body)
        if problem:
            return r.Bad(kind, problem[1], problem[0])
        if rtype == "QuestionnaireResponse":
            if kind is None:
                return r.Skip(None, "QuestionnaireResponse for another Questionnaire")
            return r.response_row(res.body, kind, self._subject)
        if rtype == "Observation":
            substance = r.screen_substance(res.body)
            if substance is None:
                return r.Skip(None, "Observation code is not a drug-screen LOINC code")
            return r.screen_row(res.body, substance, self._subject)
        if rtype in ("Organization", "Practitioner", "PractitionerRole"):
            return r.Skip(None, f"{rtype} is not loaded (programs and staff load from CSV)")
        return r.Skip(None, f"{rtype} resources are not loaded")


class FhirSource:
    name = "fhir"

    def accepts(self, path: Path) -> bool:
        name = path.name.lower()
        return name.endswith((".json", ".ndjson", ".ndjson.gz", ".json.gz", ".jsonl"))

    def open(self, path: Path) -> FhirFile:
        with open(path, "rb") as f:
            compressed = f.read(2) == GZIP_MAGIC
        size = path.stat().st_size
        first, more = _first_lines(path, compressed)
        if first is None:
            raise FileRejected("is empty (no FHIR resource)")
        if not first.lstrip().startswith("{"):
            raise FileRejected("is not FHIR JSON (expected a JSON object)")
        if more and _one_object(first):
            if "resourceType" not in json.loads(first):
                raise FileRejected("is not FHIR NDJSON (line 1 has no resourceType)")
            return FhirFile(
                path=path,
                ndjson=True,
                compressed=compressed,
                size=size,
                label="fhir-ndjson",
                has_roster=bool(_ROSTER_RE.search(_head(path, compressed))),
            )
        raw = _read_all(path, compressed)
        try:
            doc = json.loads(raw)
        except UnicodeDecodeError as exc:
            raise FileRejected("is not UTF-8 text") from exc
        except json.JSONDecodeError as exc:
            raise FileRejected(
                f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from exc
        if not isinstance(doc, dict):
            raise FileRejected("is not FHIR JSON (expected a JSON object)")
        if doc.get("resourceType") == "Bundle" and doc.get("type") not in BUNDLE_TYPES:
            raise FileRejected(
                f"is a Bundle of type '{str(doc.get('type'))[:40]}' (expected collection, "
                "transaction, batch, searchset or message)"
            )
        if "resourceType" not in doc and not ("prefetch" in doc and "hook" in doc):
            raise FileRejected("is not FHIR JSON (no resourceType)")
        opened = FhirFile(
            path=path,
            ndjson=False,
            compressed=compressed,
            size=size,
            document=doc,
            label="fhir-json",
        )
        opened._sha256 = (
            hashlib.sha256(raw).hexdigest()
            if not compressed
            else (hashlib.sha256(path.read_bytes()).hexdigest())
        )
        return opened


_ROSTER_RE = re.compile(rb'"resourceType"\s*:\s*"(Patient|EpisodeOfCare)"')


def _head(path: Path, compressed: bool) -> bytes:
    opener = gzip.open if compressed else open
    with opener(path, "rb") as f:
        return f.read(1 << 16)


def _read_all(path: Path, compressed: bool) -> bytes:
    try:
        return gzip.decompress(path.read_bytes()) if compressed else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise FileRejected("is not a valid gzip file (truncated or corrupt)") from exc


def _first_lines(path: Path, compressed: bool) -> tuple[str | None, bool]:
    """The first non-blank line and whether another non-blank line follows."""
    try:
        opener = gzip.open if compressed else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as f:
            first = None
            for line in f:
                if not line.strip():
                    continue
                if first is None:
                    first = line
                    continue
                return first, True
            return first, False
    except (OSError, EOFError, zlib.error) as exc:
        raise FileRejected("is not a valid gzip file (truncated or corrupt)") from exc


def _one_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False
