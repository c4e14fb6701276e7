/** The standard gRPC health service (grpc.health.v1.Health, doc/health-checking.md of grpc/grpc). */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FusionError, NotFoundError } from "@mlfusion/core";
import {
  encodeGrpcFrame,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@mlfusion/proto";
import { type GrpcCall, type GrpcHandler, readUnaryRequest } from "./grpc-server.js";

const SERVICES = new Set(["", "arrow.flight.protocol.FlightService", "grpc.health.v1.Health"]);

/**
 * Handlers for `/grpc.health.v1.Health/Check` and `/Watch`. `serving()` says whether the server takes calls
 * (false while draining); `stopped` resolves when Watch streams should report NOT_SERVING and end.
 */
export function createHealthHandlers(serving: () => boolean, stopped: Promise<void>): Map<string, GrpcHandler> {
  const status = () =>
    serving() ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING;
  const frame = (value: HealthCheckResponse_ServingStatus) => [
    encodeGrpcFrame(toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status: value }))),
  ];
  const service = async (call: GrpcCall) => {
    const request = decode(await readUnaryRequest(call));
    return request.service;
  };
  return new Map<string, GrpcHandler>([
    [
      "/grpc.health.v1.Health/Check",
      async (call) => {
        const name = await service(call);
        if (!SERVICES.has(name)) throw new NotFoundError(`Unknown service ${name}; check "" for the whole server.`);
        await call.send(frame(status()));
      },
    ],
    [
      "/grpc.health.v1.Health/Watch",
      async (call) => {
        const name = await service(call);
        if (!SERVICES.has(name)) {
          await call.send(frame(HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN));
          return;
        }
        await call.send(frame(status()));
        await Promise.race([
          stopped,
          new Promise((resolve) => call.signal.addEventListener("abort", resolve, { once: true })),
        ]);
        if (!call.signal.aborted) await call.send(frame(HealthCheckResponse_ServingStatus.NOT_SERVING));
      },
    ],
  ]);
}

function decode(message: Uint8Array) {
  try {
    return fromBinary(HealthCheckRequestSchema, message);
  } catch (error) {
    throw new FusionError("INVALID_ARGUMENT", "The request is not a valid HealthCheckRequest.", { cause: error });
  }
}
