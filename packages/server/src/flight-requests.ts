/**
 * What Flight descriptors and tickets mean here. Plain Flight: a PATH descriptor is an asset key's segments and
 * a ticket may be the key as text (`demo/data`). The original protocol (flight_fusion.ipc.v1alpha1): CMD
 * descriptors carry AreaSourceReference (GetFlightInfo, GetSchema) or FlightDoPutRequest (DoPut), and tickets
 * carry FlightDoGetRequest.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError, UnsupportedFeatureError } from "@mlfusion/core";
import {
  type AreaSourceReference,
  AreaSourceReferenceSchema,
  CommandReadDatasetSchema,
  type FlightDescriptor,
  FlightDescriptor_DescriptorType,
  FlightDoGetRequestSchema,
  FlightDoPutRequestSchema,
  SaveMode,
} from "@mlfusion/proto";
import { type AssetKey, parseAssetKey, validateAssetKey } from "./asset-key.js";
import type { ReadOptions, WriteMode, WriteOptions } from "./dataset-catalog.js";

/** A read a ticket asks for. */
export interface ReadRequest {
  kind: "read";
  key: AssetKey;
  options: Omit<ReadOptions, "signal">;
}

/** A SQL query a ticket asks for (CommandExecuteQuery): each source is named in the SQL by its last segment. */
export interface QueryRequest {
  kind: "query";
  sql: string;
  tableNames: Record<string, AssetKey>;
}

/** A write a DoPut descriptor asks for. */
export interface WriteRequest {
  key: AssetKey;
  options: Omit<WriteOptions, "signal">;
  /** True for the original protocol's CMD descriptors: reply with ResultDoPutUpdate. */
  command: boolean;
}

/** The asset key an AreaSourceReference names. */
export function sourceToKey(source: AreaSourceReference | undefined): AssetKey {
  const table = source?.table;
  if (table?.case === "location") return validateAssetKey([...table.value.areas, table.value.name]);
  if (table?.case === "id" || table?.case === "uri") {
    throw new UnsupportedFeatureError(
      `source-${table.case}`,
      `AreaSourceReference.${table.case} is not supported; name the dataset with a location (areas + name).`,
    );
  }
  throw new InvalidArgumentError("The AreaSourceReference names no dataset; set its location (areas + name).");
}

/** The AreaSourceReference of an asset key: areas = key[:-1], name = key[-1]. */
export function keyToSource(key: AssetKey): AreaSourceReference {
  return create(AreaSourceReferenceSchema, {
    table: { case: "location", value: { name: key[key.length - 1] ?? "", areas: key.slice(0, -1) } },
  });
}

function decode<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new InvalidArgumentError(`The ${what} bytes are not a valid message; check the client's protocol.`, {
      cause: error,
    });
  }
}

/** The dataset a GetFlightInfo/GetSchema descriptor names. */
export function descriptorToKey(descriptor: FlightDescriptor): AssetKey {
  if (descriptor.type === FlightDescriptor_DescriptorType.PATH) return validateAssetKey(descriptor.path);
  if (descriptor.type === FlightDescriptor_DescriptorType.CMD) {
    const source = decode("AreaSourceReference", () => fromBinary(AreaSourceReferenceSchema, descriptor.cmd));
    return sourceToKey(source);
  }
  throw new InvalidArgumentError("The FlightDescriptor has no type; use PATH (asset key segments) or CMD.");
}

/** A ticket for reading a whole dataset: FlightDoGetRequest{read{source}}. */
export function ticketForKey(key: AssetKey): Uint8Array {
  return toBinary(
    FlightDoGetRequestSchema,
    create(FlightDoGetRequestSchema, {
      command: { case: "read", value: create(CommandReadDatasetSchema, { source: keyToSource(key) }) },
    }),
  );
}

/** What a DoGet ticket asks for. */
export function parseTicket(ticket: Uint8Array): ReadRequest | QueryRequest {
  if (ticket.byteLength === 0) throw new InvalidArgumentError("The ticket is empty; use a ticket from GetFlightInfo.");
  let request: ReturnType<typeof fromBinary<typeof FlightDoGetRequestSchema>> | undefined;
  try {
    request = fromBinary(FlightDoGetRequestSchema, ticket);
  } catch {
    // Not a FlightDoGetRequest: the ticket may still be an asset key as text (handled below).
    request = undefined;
  }
  const command = request?.command;
  if (command === undefined || command.case === undefined) {
    return { kind: "read", key: ticketTextKey(ticket), options: {} };
  }
  switch (command.case) {
    case "read":
      return {
        kind: "read",
        key: sourceToKey(command.value.source),
        options: columnsOption(command.value.columnNames),
      };
    case "delta": {
      const key = sourceToKey(command.value.source);
      const operation = command.value.operation;
      if (operation.case !== "read") {
        throw new InvalidArgumentError("A DoGet ticket's DeltaOperationRequest must be a read operation.");
      }
      const read = operation.value;
      const options: ReadRequest["options"] = { ...columnsOption(read.columnNames) };
      if (read.timestamp !== "") options.timestamp = read.timestamp;
      else if (read.version !== undefined) options.version = Number(read.version);
      if (read.predicate !== "") options.filter = read.predicate;
      return { kind: "read", key, options };
    }
    case "query": {
      const context = command.value.context;
      const sources =
        context.case === "source"
          ? [context.value]
          : context.case === "collection"
            ? context.value.sources
            : context.case === "frame"
              ? unsupportedFrame()
              : [];
      const tableNames: Record<string, AssetKey> = {};
      for (const source of sources) {
        const key = sourceToKey(source);
        tableNames[key[key.length - 1] ?? ""] = key;
      }
      if (command.value.query.trim() === "") throw new InvalidArgumentError("The CommandExecuteQuery has no SQL.");
      return { kind: "query", sql: command.value.query, tableNames };
    }
    default:
      throw new UnsupportedFeatureError(
        command.case,
        `Ticket command "${command.case}" is not supported; read datasets or query them with SQL (CommandExecuteQuery).`,
      );
  }
}

/** A ticket that is not a FlightDoGetRequest may be an asset key as UTF-8 text (`demo/data`). */
function ticketTextKey(ticket: Uint8Array): AssetKey {
  try {
    return parseAssetKey(new TextDecoder("utf-8", { fatal: true }).decode(ticket));
  } catch (error) {
    throw new InvalidArgumentError(
      "The ticket is neither a FlightDoGetRequest nor an asset key such as demo/data; use a ticket from GetFlightInfo.",
      { cause: error },
    );
  }
}

function unsupportedFrame(): never {
  throw new UnsupportedFeatureError("signal-frame", "Queries over a SignalFrame are not supported; use sources.");
}

function columnsOption(columns: readonly string[]): ReadRequest["options"] {
  return columns.length > 0 ? { columns: [...columns] } : {};
}

function saveModeToWriteMode(mode: SaveMode): WriteMode {
  switch (mode) {
    case SaveMode.OVERWRITE:
      return "overwrite";
    case SaveMode.ERROR_IF_EXISTS:
      return "error";
    default:
      return "append";
  }
}

/** What the first DoPut message's descriptor asks for. */
export function parsePutDescriptor(descriptor: FlightDescriptor | undefined): WriteRequest {
  if (descriptor === undefined) {
    throw new InvalidArgumentError("The first DoPut message carries no FlightDescriptor; name the target dataset.");
  }
  if (descriptor.type === FlightDescriptor_DescriptorType.PATH) {
    return { key: validateAssetKey(descriptor.path), options: { mode: "append" }, command: false };
  }
  if (descriptor.type !== FlightDescriptor_DescriptorType.CMD) {
    throw new InvalidArgumentError("The DoPut FlightDescriptor has no type; use PATH (asset key segments) or CMD.");
  }
  const request = decode("FlightDoPutRequest", () => fromBinary(FlightDoPutRequestSchema, descriptor.cmd));
  const command = request.command;
  if (command.case === "storage") {
    return {
      key: sourceToKey(command.value.source),
      options: { mode: saveModeToWriteMode(command.value.saveMode) },
      command: true,
    };
  }
  if (command.case === "delta") {
    const key = sourceToKey(command.value.source);
    const operation = command.value.operation;
    if (operation.case !== "write") {
      throw new InvalidArgumentError("A DoPut DeltaOperationRequest must be a write operation.");
    }
    const write = operation.value;
    const options: WriteRequest["options"] = { mode: saveModeToWriteMode(write.saveMode) };
    if (write.partitionBy.length > 0) options.partitionBy = [...write.partitionBy];
    if (write.predicate !== undefined && write.predicate !== "") options.predicate = write.predicate;
    return { key, options, command: true };
  }
  throw new InvalidArgumentError("The FlightDoPutRequest carries no command; set storage or delta.");
}
