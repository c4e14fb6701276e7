"""`DatasetClient`: write, read, query and manage one dataset (a Delta table named by an asset key)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.flight as flight

from flight_fusion import asset_key as asset_keys
from flight_fusion.dataset_info import DatasetInfo, DatasetMetadata, HistoryEntry, WriteResult
from flight_fusion.errors import FusionServerError
from flight_fusion.flight_requests import (
    ActionType,
    drop_action,
    info_descriptor,
    json_action,
    parse_put_result,
    parse_source_metadata,
    put_descriptor,
    query_ticket,
    read_ticket,
    to_rfc3339,
)
from flight_fusion.save_mode import SaveMode
from flight_fusion.table_conversion import to_arrow_table

if TYPE_CHECKING:
    from flight_fusion.asset_key import AssetKey
    from flight_fusion.service_client import FusionServiceClient

__all__ = ["DatasetClient"]

#: Rows per RecordBatch sent by write_into (about 1-4 MB for typical tables).
WRITE_BATCH_ROWS = 65_536


class DatasetClient:
    """One dataset of a Flight server.

    @example
    fds = ffc.get_dataset_client(name="new_dataset", areas=["demo"])
    fds.write_into(df, SaveMode.SAVE_MODE_OVERWRITE)
    table = fds.load(columns=["col1"])
    """

    def __init__(self, service: FusionServiceClient, path: Sequence[str]) -> None:
        self._service = service
        self.path = list(path)

    @property
    def asset_key(self) -> AssetKey:
        return asset_keys.AssetKey(self.path)

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def areas(self) -> list[str]:
        return self.path[:-1]

    def write_into(
        self,
        data: Any,
        save_mode: SaveMode | int | str = SaveMode.SAVE_MODE_APPEND,
        partition_by: Sequence[str] | None = None,
        predicate: str | None = None,
    ) -> WriteResult:
        """Writes a pandas/polars DataFrame or a pyarrow Table in one Delta commit.

        With SAVE_MODE_OVERWRITE and a `predicate` (e.g. "month = '2024-01'") only the rows matching it are
        replaced (replaceWhere), which makes re-running a partition idempotent.
        """
        mode = SaveMode.parse(save_mode)
        if mode == SaveMode.SAVE_MODE_UNSPECIFIED:
            mode = SaveMode.SAVE_MODE_APPEND
        if isinstance(partition_by, str):
            partition_by = [partition_by]
        if predicate is not None and mode != SaveMode.SAVE_MODE_OVERWRITE:
            raise ValueError("A predicate (replaceWhere) needs save_mode SAVE_MODE_OVERWRITE.")
        table = to_arrow_table(data)
        if partition_by:
            missing = [column for column in partition_by if column not in table.column_names]
            if missing:
                raise ValueError(f"partition_by names columns the data does not have: {missing}.")
        descriptor = put_descriptor(self.path, mode, partition_by, predicate)
        client = self._service.flight_client
        with self._service.errors(data=True):
            writer, reader = client.do_put(descriptor, table.schema, self._service.call_options(data=True))
            try:
                for batch in table.to_batches(max_chunksize=WRITE_BATCH_ROWS):
                    writer.write_batch(batch)
                writer.done_writing()
                statistics = parse_put_result(reader.read())
            finally:
                writer.close()
        if statistics is None:
            return WriteResult(record_count=table.num_rows, total_byte_size=table.nbytes, is_exact=False)
        return WriteResult(
            record_count=statistics.record_count,
            total_byte_size=statistics.total_byte_size,
            is_exact=statistics.is_exact,
        )

    def load(
        self,
        columns: Sequence[str] | None = None,
        version: int | None = None,
        as_of: datetime | str | None = None,
        predicate: str | None = None,
    ) -> pa.Table:
        """Reads the dataset as a pyarrow Table: some `columns`, at a `version` or `as_of` a time, filtered by a
        `predicate` such as "month = '2024-01'".
        """
        if version is not None and as_of is not None:
            raise ValueError("Pass either version or as_of, not both.")
        if version is not None and version < 0:
            raise ValueError(f"Versions start at 0, got {version}.")
        timestamp = to_rfc3339(as_of) if as_of is not None else None
        if version == 0:
            table = self._read_version_zero(columns, predicate)
        else:
            table = self._read(read_ticket(self.path, columns, version, timestamp, predicate))
        if columns and table.column_names != list(columns):
            table = table.select(list(columns))  # the order asked for, as pandas and pyarrow select do
        return table

    def load_version(self, version: int) -> pa.Table:
        """Reads the dataset as it was at `version` (time travel)."""
        return self.load(version=version)

    def query(self, sql: str) -> pa.Table:
        """Runs SQL over this dataset, which the query names by its last key segment."""
        return self._read(query_ticket(sql, [self.path]))

    def schema(self) -> pa.Schema:
        """The dataset's Arrow schema (no data is read)."""
        client = self._service.flight_client
        with self._service.errors():
            return client.get_schema(info_descriptor(self.path), self._service.call_options()).schema

    def info(self) -> DatasetInfo:
        """Schema, row count, size, version and metadata from GetFlightInfo (no data is read)."""
        client = self._service.flight_client
        with self._service.errors():
            info = client.get_flight_info(info_descriptor(self.path), self._service.call_options())
        source = parse_source_metadata(info.descriptor.command or b"")
        metadata = _metadata_from_message(source) if source is not None else DatasetMetadata()
        return DatasetInfo(
            path=list(self.path),
            schema=info.schema,
            total_records=info.total_records,
            total_bytes=info.total_bytes,
            version=_version_of(info, metadata),
            metadata=metadata,
        )

    def version(self) -> int:
        """The dataset's current version (no data is read)."""
        version = self.info().version
        if version is None:
            # Servers that do not report the version in FlightInfo still list it first in the history.
            entries = self.history(limit=1)
            if not entries:
                raise FusionServerError(f"The server reported no commits for {'/'.join(self.path)}.")
            version = entries[0].version
        return version

    def exists(self) -> bool:
        """Whether the dataset exists."""
        from flight_fusion.errors import DatasetNotFoundError

        try:
            self.info()
        except DatasetNotFoundError:
            return False
        return True

    def get_metadata(self) -> DatasetMetadata:
        """The dataset's description, tags and properties."""
        return self.info().metadata

    def set_metadata(
        self,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> DatasetMetadata:
        """Changes the given metadata fields (the others stay as they are); returns the new metadata."""
        action = json_action(
            ActionType.SET_METADATA,
            self.path,
            name=name,
            description=description,
            tags=dict(tags) if tags is not None else None,
            properties=dict(properties) if properties is not None else None,
        )
        self._action(action)
        return self.get_metadata()

    def history(self, limit: int | None = None) -> list[HistoryEntry]:
        """Commits of the dataset, newest first: version, time, operation, rows added."""
        bodies = self._action(json_action(ActionType.HISTORY, self.path, limit=limit))
        entries: list[HistoryEntry] = []
        for body in bodies:
            if not body:
                continue
            parsed = json.loads(body)
            if isinstance(parsed, Mapping) and "history" in parsed:
                parsed = parsed["history"]
            for item in parsed if isinstance(parsed, list) else [parsed]:
                entries.append(_history_entry(item))
        entries.sort(key=lambda entry: entry.version, reverse=True)
        return entries[:limit] if limit is not None else entries

    def vacuum(self, retention_hours: float | None = None, dry_run: bool = False) -> list[str]:
        """Deletes files no version within the retention window needs; returns their paths."""
        bodies = self._action(json_action(ActionType.VACUUM, self.path, retentionHours=retention_hours, dryRun=dry_run))
        files: list[str] = []
        for body in bodies:
            if body:
                parsed = json.loads(body)
                files.extend(parsed.get("files", []) if isinstance(parsed, Mapping) else parsed)
        return files

    def drop(self) -> None:
        """Deletes the dataset (FlightActionRequest.drop)."""
        self._action(drop_action(self.path))

    def _read(self, ticket: flight.Ticket) -> pa.Table:
        client = self._service.flight_client
        with self._service.errors(data=True):
            return client.do_get(ticket, self._service.call_options(data=True)).read_all()

    def _action(self, action: flight.Action) -> list[bytes]:
        client = self._service.flight_client
        with self._service.errors():
            return [result.body.to_pybytes() for result in client.do_action(action, self._service.call_options())]

    def _read_version_zero(self, columns: Sequence[str] | None, predicate: str | None) -> pa.Table:
        """DeltaReadOperation.version is a plain proto3 int64 where 0 means "latest". Version 0 is therefore read as
        the latest version when nothing followed it, else through SQL time travel (`AT (VERSION => 0)`), and on
        servers without SQL as of the midpoint between the commit times of versions 0 and 1.
        """
        from flight_fusion.errors import DatasetNotFoundError, UnsupportedOperationError

        versions = {entry.version: entry for entry in self.history()}
        if 0 not in versions:
            raise DatasetNotFoundError(f"Dataset {'/'.join(self.path)} has no version 0 any more.")
        if max(versions) == 0:
            return self._read(read_ticket(self.path, columns, None, None, predicate))
        selection = ", ".join(_quote_identifier(column) for column in columns) if columns else "*"
        sql = f"SELECT {selection} FROM {_quote_identifier(self.name)} AT (VERSION => 0)"
        if predicate:
            sql += f" WHERE {predicate}"
        try:
            return _like_schema(self._read(query_ticket(sql, [self.path])), self.schema())
        except UnsupportedOperationError:
            pass
        first, following = versions[0].timestamp, versions.get(1)
        if first is None or following is None or following.timestamp is None:
            raise DatasetNotFoundError(f"Dataset {'/'.join(self.path)}: version 0 cannot be located in time.")
        between = first + (following.timestamp - first) / 2
        return self._read(read_ticket(self.path, columns, None, to_rfc3339(between), predicate))

    def __repr__(self) -> str:
        return f"DatasetClient({'/'.join(self.path)!r})"


def _metadata_from_message(message: Any) -> DatasetMetadata:
    return DatasetMetadata(
        id=message.id,
        name=message.name,
        description=message.description,
        is_versioned=message.is_versioned,
        tags={tag.key: tag.value for tag in message.tags},
        properties=dict(message.properties),
    )


def _version_of(info: flight.FlightInfo, metadata: DatasetMetadata) -> int | None:
    """The table version a FlightInfo describes: app_metadata JSON {"version": n} or the "version" property."""
    app_metadata = getattr(info, "app_metadata", b"") or b""
    if app_metadata:
        try:
            parsed = json.loads(bytes(app_metadata))
        except ValueError:
            parsed = None
        if isinstance(parsed, Mapping) and isinstance(parsed.get("version"), int):
            return int(parsed["version"])
    raw = metadata.properties.get("version") or metadata.properties.get("delta.version")
    if raw is not None and raw.lstrip("-").isdigit():
        return int(raw)
    return None


def _history_entry(item: Mapping[str, Any]) -> HistoryEntry:
    if not isinstance(item, Mapping) or "version" not in item:
        raise FusionServerError(f"The server sent a history entry without a version: {item!r}.")
    raw_time = item.get("timestamp")
    timestamp: datetime | None = None
    if isinstance(raw_time, int | float):
        timestamp = datetime.fromtimestamp(raw_time / 1000, tz=UTC)
    elif isinstance(raw_time, str) and raw_time:
        timestamp = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
    rows = item.get("rowsAdded", item.get("rows_added"))
    return HistoryEntry(
        version=int(item["version"]),
        timestamp=timestamp,
        operation=str(item.get("operation", "")),
        rows_added=int(rows) if rows is not None else None,
        parameters=dict(item.get("parameters") or {}),
    )


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _like_schema(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Casts columns that SQL returned in another form (time zone normalised to UTC, list child names) back to
    the dataset's types where that is a lossless cast; other columns stay as they are."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        index = schema.get_field_index(name)
        if index >= 0 and schema.field(index).type != column.type:
            try:
                column = column.cast(schema.field(index).type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)
