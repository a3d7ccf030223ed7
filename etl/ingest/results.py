"""What an ingest run reports: per file, how every row read was counted."""

from __future__ import annotations

from dataclasses import dataclass, field

from etl.changes import ChangeSet


@dataclass
class FileResult:
    path: str
    kind: str | None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    status: str = "loaded"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    load_id: int | None = None
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.read == self.inserted + self.updated + self.unchanged + self.rejected

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
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
