"""What the client reports about datasets: their info, metadata, history entries and write results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

__all__ = ["DatasetMetadata", "DatasetInfo", "HistoryEntry", "WriteResult"]


@dataclass(frozen=True)
class DatasetMetadata:
    """Descriptive metadata of a dataset (AreaSourceMetadata)."""

    id: str = ""
    name: str = ""
    description: str = ""
    is_versioned: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInfo:
    """Schema, size and version of a dataset, from GetFlightInfo (no data is read)."""

    path: list[str]
    schema: pa.Schema
    total_records: int
    total_bytes: int
    version: int | None
    metadata: DatasetMetadata


@dataclass(frozen=True)
class HistoryEntry:
    """One commit of a dataset's history."""

    version: int
    timestamp: datetime | None
    operation: str
    rows_added: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteResult:
    """What a write stored: rows and bytes sent (the server's BatchStatistics when it reports them)."""

    record_count: int
    total_byte_size: int
    is_exact: bool
