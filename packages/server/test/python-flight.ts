// Python snippets shared by the Flight tests: a pyarrow client and the flight_fusion protobuf classes generated
// from the repository's proto/ sources at test time (grpcio-tools), as a user of the original protocol would.
import { join } from "node:path";
import { repoRoot, runPython } from "@mlfusion/testing";

/** Imports and helpers every snippet starts with; `URL` is sys.argv[1]. */
export const PRELUDE = `
import sys, json, os, tempfile, importlib
import numpy as np
import pyarrow as pa
import pyarrow.flight as fl
URL = sys.argv[1]
client = fl.connect(URL)

def put(path, table, chunk=None, options=None):
    writer, reader = client.do_put(fl.FlightDescriptor.for_path(*path), table.schema, options=options) if options else client.do_put(fl.FlightDescriptor.for_path(*path), table.schema)
    writer.write_table(table, max_chunksize=chunk) if chunk else writer.write_table(table)
    writer.done_writing()
    meta = reader.read()
    writer.close()
    return meta

def get(path, columns=None):
    info = client.get_flight_info(fl.FlightDescriptor.for_path(*path))
    return info, client.do_get(info.endpoints[0].ticket).read_all()

def error_of(fn):
    try:
        fn()
    except Exception as e:
        return type(e).__name__ + ": " + str(e).splitlines()[0]
    return "no error"
`;

/** Generates Python classes for proto/flight_fusion into a temp dir and imports them as `ff`. */
export const FLIGHT_FUSION_PROTOS = `
def _load_protos():
    from grpc_tools import protoc
    out = tempfile.mkdtemp()
    root = sys.argv[2]
    files = [os.path.join("flight_fusion/ipc/v1alpha1", f) for f in os.listdir(os.path.join(root, "flight_fusion/ipc/v1alpha1"))]
    import grpc_tools
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    rc = protoc.main(["protoc", f"-I{root}", f"-I{include}", f"--python_out={out}", *files])
    assert rc == 0, rc
    sys.path.insert(0, out)
    class NS: pass
    ns = NS()
    for name in ["common", "delta", "flight", "message", "metadata"]:
        mod = importlib.import_module(f"flight_fusion.ipc.v1alpha1.{name}_pb2")
        for k in dir(mod):
            if not k.startswith("_"): setattr(ns, k, getattr(mod, k))
    return ns
ff = _load_protos()

def source(*key):
    return ff.AreaSourceReference(location=ff.AreaTableLocation(name=key[-1], areas=list(key[:-1])))
`;

/** Runs `body` after the prelude against the server at `url`; returns stdout. */
export async function flightPython(
  url: string,
  body: string,
  options: { protos?: boolean; args?: readonly string[] } = {},
): Promise<string> {
  const source = PRELUDE + (options.protos === true ? FLIGHT_FUSION_PROTOS : "") + body;
  const { stdout } = await runPython(source, [url, join(repoRoot, "proto"), ...(options.args ?? [])], 300_000);
  return stdout;
}

/** The last stdout line parsed as JSON. */
export function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "null") as T;
}
