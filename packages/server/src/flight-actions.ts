/**
 * DoAction and ListActions. Action bodies are JSON objects naming the dataset as `key` ("demo/data" or
 * ["demo", "data"]); results are JSON. The original protocol's FlightActionRequest{drop} (protobuf, any action
 * type) is accepted too and answered with ResultActionStatus.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError, UnsupportedFeatureError } from "@mlfusion/core";
import {
  ActionStatus,
  ActionTypeSchema,
  encodeGrpcFrame,
  FlightActionRequestSchema,
  ResultActionStatusSchema,
  ResultSchema,
} from "@mlfusion/proto";
import { type AssetKey, formatAssetKey, parseAssetKey, validateAssetKey } from "./asset-key.js";
import type { DatasetCatalog, MetadataUpdate, VacuumRequest } from "./dataset-catalog.js";
import { sourceToKey } from "./flight-requests.js";
import type { GrpcCall } from "./grpc-server.js";

/** The actions this service performs, with the descriptions ListActions returns. */
export const FLIGHT_ACTIONS: ReadonlyArray<{ type: string; description: string }> = [
  {
    type: "drop",
    description: 'Delete a dataset and its data. Body: {"key": "demo/data"} (or the original FlightActionRequest).',
  },
  {
    type: "set-metadata",
    description:
      'Update a dataset\'s name, description, tags and properties. Body: {"key", "name"?, "description"?, "tags"?: {k: v}, "properties"?: {k: v}}; result: the metadata.',
  },
  {
    type: "history",
    description:
      'A dataset\'s commits, newest first. Body: {"key", "limit"?}; one result per commit: {version, timestamp, operation, rowsAdded}.',
  },
  {
    type: "register",
    description: 'Serve an existing Delta table as a dataset. Body: {"key", "path": "/abs/path/to/table"}.',
  },
  {
    type: "vacuum",
    description:
      'Delete data files no longer referenced by versions within the retention period. Body: {"key", "retentionHours"? (default 168), "dryRun"?, "force"? (allow a retention below the table\'s)}; result: {files}.',
  },
];

type JsonBody = Record<string, unknown>;

function jsonResult(value: unknown): Uint8Array[] {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  return [encodeGrpcFrame(toBinary(ResultSchema, create(ResultSchema, { body })))];
}

function parseJsonBody(type: string, body: Uint8Array): JsonBody {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (error) {
    throw new InvalidArgumentError(
      `The body of action ${type} is not JSON; send a JSON object such as {"key": "a/b"}.`,
      {
        cause: error,
      },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`The body of action ${type} must be a JSON object.`);
  }
  return value as JsonBody;
}

function keyOf(body: JsonBody): AssetKey {
  const key = body.key;
  if (typeof key === "string") return parseAssetKey(key);
  if (Array.isArray(key) && key.every((s) => typeof s === "string")) return validateAssetKey(key);
  throw new InvalidArgumentError('The action body needs "key": "areas/name" or ["areas", "name"].');
}

function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const item of value) {
      if (typeof item?.key !== "string" || typeof item?.value !== "string") {
        throw new InvalidArgumentError(`"${field}" entries must be {"key": string, "value": string}.`);
      }
      out[item.key] = item.value;
    }
    return out;
  }
  if (typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string")) {
    return value as Record<string, string>;
  }
  throw new InvalidArgumentError(`"${field}" must be an object of string values.`);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new InvalidArgumentError(`"${field}" must be a string.`);
  return value;
}

function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`"${field}" must be a non-negative number.`);
  }
  return value;
}

/** Runs one DoAction call. */
export async function handleAction(
  catalog: DatasetCatalog,
  type: string,
  body: Uint8Array,
  call: GrpcCall,
): Promise<void> {
  const legacy = legacyDrop(body);
  if (legacy !== undefined && !FLIGHT_ACTIONS.some((a) => a.type === type && a.type !== "drop")) {
    await catalog.drop(legacy);
    const status = create(ResultActionStatusSchema, { status: ActionStatus.SUCCESS });
    const result = create(ResultSchema, { body: toBinary(ResultActionStatusSchema, status) });
    await call.send([encodeGrpcFrame(toBinary(ResultSchema, result))]);
    return;
  }
  switch (type) {
    case "drop": {
      const key = keyOf(parseJsonBody(type, body));
      await catalog.drop(key);
      await call.send(jsonResult({ dropped: formatAssetKey(key) }));
      return;
    }
    case "set-metadata": {
      const json = parseJsonBody(type, body);
      const update: MetadataUpdate = {};
      const name = optionalString(json.name, "name");
      const description = optionalString(json.description, "description");
      const tags = stringMap(json.tags, "tags");
      const properties = stringMap(json.properties, "properties");
      if (name !== undefined) update.name = name;
      if (description !== undefined) update.description = description;
      if (tags !== undefined) update.tags = tags;
      if (properties !== undefined) update.properties = properties;
      await call.send(jsonResult(await catalog.setMetadata(keyOf(json), update)));
      return;
    }
    case "history": {
      const json = parseJsonBody(type, body);
      const limit = optionalNumber(json.limit, "limit");
      for (const entry of await catalog.history(keyOf(json), limit)) await call.send(jsonResult(entry));
      return;
    }
    case "register": {
      const json = parseJsonBody(type, body);
      const path = optionalString(json.path, "path");
      if (path === undefined || path === "") {
        throw new InvalidArgumentError('Action register needs "path": the folder of an existing Delta table.');
      }
      const info = await catalog.register(keyOf(json), path);
      await call.send(jsonResult({ key: formatAssetKey(info.key), version: info.version }));
      return;
    }
    case "vacuum": {
      const json = parseJsonBody(type, body);
      const options: VacuumRequest = {};
      const retentionHours = optionalNumber(json.retentionHours, "retentionHours");
      if (retentionHours !== undefined) options.retentionHours = retentionHours;
      if (json.dryRun !== undefined) options.dryRun = json.dryRun === true;
      if (json.force !== undefined) options.force = json.force === true;
      await call.send(jsonResult(await catalog.vacuum(keyOf(json), options)));
      return;
    }
    default:
      throw new UnsupportedFeatureError(
        `action-${type}`,
        `Unknown action type ${JSON.stringify(type)}; ListActions names the supported ones (${FLIGHT_ACTIONS.map((a) => a.type).join(", ")}).`,
      );
  }
}

/** The key of an original-protocol FlightActionRequest{drop}, or undefined when the body is something else. */
function legacyDrop(body: Uint8Array): AssetKey | undefined {
  if (body.byteLength === 0 || body[0] === 0x7b /* '{': JSON */) return undefined;
  let request: ReturnType<typeof fromBinary<typeof FlightActionRequestSchema>>;
  try {
    request = fromBinary(FlightActionRequestSchema, body);
  } catch {
    // Not the original protocol's message: the body is read as JSON by the action itself.
    return undefined;
  }
  if (request.action.case !== "drop") return undefined;
  return sourceToKey(request.action.value.source);
}

/** ListActions: one ActionType per action (plus `extra`, e.g. the Flight SQL actions). */
export async function listActions(
  call: GrpcCall,
  extra: ReadonlyArray<{ type: string; description: string }> = [],
): Promise<void> {
  for (const action of [...FLIGHT_ACTIONS, ...extra]) {
    await call.send([encodeGrpcFrame(toBinary(ActionTypeSchema, create(ActionTypeSchema, action)))]);
  }
}
