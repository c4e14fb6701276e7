"""What this client puts into Flight descriptors, tickets and action bodies: the original protocol's messages
(flight_fusion.ipc.v1alpha1, see proto/) wherever they can say it, so that every server generation understands it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow.flight as flight

from flight_fusion.ipc.v1alpha1 import common_pb2, delta_pb2, flight_pb2, message_pb2, metadata_pb2
from flight_fusion.save_mode import SaveMode

__all__ = [
    "ActionType",
    "source_reference",
    "source_to_path",
    "info_descriptor",
    "put_descriptor",
    "read_ticket",
    "query_ticket",
    "drop_action",
    "json_action",
    "parse_put_result",
    "parse_source_metadata",
    "descriptor_path",
    "to_rfc3339",
]


class ActionType:
    """DoAction types this client sends; the server lists them in ListActions."""

    DROP = "drop"
    SET_METADATA = "set-metadata"
    HISTORY = "history"
    VACUUM = "vacuum"
    REGISTER = "register"


def source_reference(path: Sequence[str]) -> common_pb2.AreaSourceReference:
    """AreaSourceReference.location of an asset key: areas = path[:-1], name = path[-1]."""
    return common_pb2.AreaSourceReference(location=common_pb2.AreaTableLocation(name=path[-1], areas=list(path[:-1])))


def source_to_path(source: common_pb2.AreaSourceReference) -> list[str] | None:
    """The asset key segments of a location reference; None for id/uri references."""
    if source.WhichOneof("table") != "location":
        return None
    return [*source.location.areas, source.location.name]


def info_descriptor(path: Sequence[str]) -> flight.FlightDescriptor:
    """GetFlightInfo/GetSchema descriptor: CMD AreaSourceReference (the server answers with AreaSourceMetadata)."""
    return flight.FlightDescriptor.for_command(source_reference(path).SerializeToString())


def put_descriptor(
    path: Sequence[str],
    save_mode: SaveMode,
    partition_by: Sequence[str] | None = None,
    predicate: str | None = None,
) -> flight.FlightDescriptor:
    """DoPut descriptor: FlightDoPutRequest.delta with a DeltaWriteOperation (save mode, partitions, replaceWhere)."""
    write = delta_pb2.DeltaWriteOperation(save_mode=int(save_mode), partition_by=list(partition_by or []))
    if predicate is not None:
        write.predicate = predicate
    request = flight_pb2.FlightDoPutRequest(
        delta=delta_pb2.DeltaOperationRequest(source=source_reference(path), write=write)
    )
    return flight.FlightDescriptor.for_command(request.SerializeToString())


def read_ticket(
    path: Sequence[str],
    columns: Sequence[str] | None = None,
    version: int | None = None,
    timestamp: str | None = None,
    predicate: str | None = None,
) -> flight.Ticket:
    """DoGet ticket: FlightDoGetRequest.delta with a DeltaReadOperation (time travel, filter, columns)."""
    read = delta_pb2.DeltaReadOperation(column_names=list(columns or []))
    if version is not None:
        read.version = version
    if timestamp is not None:
        read.timestamp = timestamp
    if predicate is not None:
        read.predicate = predicate
    request = flight_pb2.FlightDoGetRequest(
        delta=delta_pb2.DeltaOperationRequest(source=source_reference(path), read=read)
    )
    return flight.Ticket(request.SerializeToString())


def query_ticket(sql: str, sources: Sequence[Sequence[str]]) -> flight.Ticket:
    """DoGet ticket: FlightDoGetRequest.query, over one source or a collection of them."""
    query = message_pb2.CommandExecuteQuery(query=sql)
    if len(sources) == 1:
        query.source.CopyFrom(source_reference(sources[0]))
    else:
        query.collection.CopyFrom(common_pb2.SourceCollection(sources=[source_reference(s) for s in sources]))
    return flight.Ticket(flight_pb2.FlightDoGetRequest(query=query).SerializeToString())


def drop_action(path: Sequence[str]) -> flight.Action:
    """DoAction body FlightActionRequest.drop."""
    request = flight_pb2.FlightActionRequest(drop=message_pb2.CommandDropSource(source=source_reference(path)))
    return flight.Action(ActionType.DROP, request.SerializeToString())


def json_action(action_type: str, path: Sequence[str], **fields: Any) -> flight.Action:
    """An action with a JSON body {"key": [...], ...fields} (actions the original protocol has no message for)."""
    body = {"key": list(path), **{name: value for name, value in fields.items() if value is not None}}
    return flight.Action(action_type, json.dumps(body).encode())


def parse_put_result(buffer: Any) -> metadata_pb2.BatchStatistics | None:
    """BatchStatistics from a PutResult's app_metadata (ResultDoPutUpdate); None when the server sent none."""
    if buffer is None:
        return None
    data = buffer.to_pybytes() if hasattr(buffer, "to_pybytes") else bytes(buffer)
    if not data:
        return None
    update = message_pb2.ResultDoPutUpdate()
    update.ParseFromString(data)
    return update.statistics if update.HasField("statistics") else None


def parse_source_metadata(cmd: bytes) -> metadata_pb2.AreaSourceMetadata | None:
    """AreaSourceMetadata from FlightInfo.descriptor.cmd; None when it carries something else."""
    if not cmd:
        return None
    metadata = metadata_pb2.AreaSourceMetadata()
    try:
        metadata.ParseFromString(cmd)
    except Exception:  # protobuf raises DecodeError for bytes that are not this message
        return None
    return metadata


def descriptor_path(descriptor: flight.FlightDescriptor) -> list[str] | None:
    """The asset key a ListFlights descriptor names: PATH segments, or a CMD AreaSourceReference/Metadata."""
    if descriptor.descriptor_type == flight.DescriptorType.PATH:
        return [p.decode() if isinstance(p, bytes) else str(p) for p in descriptor.path]
    cmd = descriptor.command or b""
    metadata = parse_source_metadata(cmd)
    if metadata is not None and metadata.HasField("source"):
        path = source_to_path(metadata.source)
        if path:
            return path
    source = common_pb2.AreaSourceReference()
    try:
        source.ParseFromString(cmd)
    except Exception:
        return None
    return source_to_path(source)


def to_rfc3339(moment: datetime | str) -> str:
    """An RFC 3339 timestamp; naive datetimes are taken as UTC."""
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
