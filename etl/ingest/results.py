"""What an ingest run reports: per file, how every row read was counted."""

from __future__ import annotations

from dataclasses import dataclass, field

from etl.changes import ChangeSet


@dataclass
class KindCounts:
    """How the records of one kind in one file were counted."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0

    def add_counts(self, counts) -> None:  # etl.ingest.load.Counts
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def merge(self, other: KindCounts) -> None:
        for name in ("read", "inserted", "updated", "unchanged", "rejected", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def balanced(self) -> bool:
        return self.read == (
            self.inserted + self.updated + self.unchanged + self.rejected + self.skipped
        )

    def as_json(self) -> dict:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "skipped": self.skipped,
        }


@dataclass
class FileResult:
    path: str
    kind: str | None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # read but deliberately not loaded (other FHIR resources), by reason below
    status: str = "loaded"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    load_id: int | None = None
    seconds: float = 0.0
    by_kind: dict[str, KindCounts] = field(default_factory=dict)
    skip_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.read == (
            self.inserted + self.updated + self.unchanged + self.rejected + self.skipped
        ) and all(c.balanced for c in self.by_kind.values())

    def clear(self) -> None:
        """A failed file loaded nothing: every count back to zero."""
        self.read = self.inserted = self.updated = self.unchanged = 0
        self.rejected = self.skipped = 0
        self.by_kind, self.skip_reasons = {}, {}

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "kinds": {name: c.as_json() for name, c in self.by_kind.items()},
            "skip_reasons": dict(sorted(self.skip_reasons.items())),
            "status": self.status,
            "error": self.error,
            "warnings": self.warnings,
            "load_id": self.load_id,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    changes: ChangeSet = field(default_factory=ChangeSet)
    interrupted_loads: int = 0

    @property
    def ok(self) -> bool:
        return all(f.status == "loaded" for f in self.files)

    def as_json(self) -> dict:
        return {
            "files": [f.as_json() for f in self.files],
            "ok": self.ok,
            "changed_clients": len(self.changes.client_dates),
            "interrupted_loads": self.interrupted_loads,
        }
