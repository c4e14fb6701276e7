import {
  DuckDBDecimalType,
  DuckDBListType,
  DuckDBMapType,
  DuckDBStructType,
  type DuckDBType,
  DuckDBTypeId,
} from "@duckdb/node-api";
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  Map_,
  Struct,
  TimeMicrosecond,
  Timestamp,
  TimeUnit,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from "apache-arrow";

/** A DuckDB result type whose physical layout we copy into Arrow natively. */
export type NativeKind =
  | { kind: "fixed"; type: DataType; width: number }
  | { kind: "bool" }
  | { kind: "decimal"; precision: number; scale: number; width: number }
  | { kind: "string"; binary: boolean }
  | { kind: "list"; child: NativeKind }
  | { kind: "map"; key: NativeKind; value: NativeKind }
  | { kind: "struct"; fields: { name: string; kind: NativeKind }[] };

/**
 * The native kind of a DuckDB type, or undefined when some part of it has no native copy (INTERVAL, UUID, ENUM,
 * UNION, ARRAY, BIT, TIME WITH TIME ZONE...): such columns are cast to VARCHAR instead.
 */
export function nativeKindOf(type: DuckDBType): NativeKind | undefined {
  const fixed = (t: DataType, width: number): NativeKind => ({ kind: "fixed", type: t, width });
  switch (type.typeId) {
    case DuckDBTypeId.TINYINT:
      return fixed(new Int8(), 1);
    case DuckDBTypeId.SMALLINT:
      return fixed(new Int16(), 2);
    case DuckDBTypeId.INTEGER:
      return fixed(new Int32(), 4);
    case DuckDBTypeId.BIGINT:
      return fixed(new Int64(), 8);
    case DuckDBTypeId.UTINYINT:
      return fixed(new Uint8(), 1);
    case DuckDBTypeId.USMALLINT:
      return fixed(new Uint16(), 2);
    case DuckDBTypeId.UINTEGER:
      return fixed(new Uint32(), 4);
    case DuckDBTypeId.UBIGINT:
      return fixed(new Uint64(), 8);
    case DuckDBTypeId.FLOAT:
      return fixed(new Float32(), 4);
    case DuckDBTypeId.DOUBLE:
      return fixed(new Float64(), 8);
    case DuckDBTypeId.DATE:
      return fixed(new DateDay(), 4);
    case DuckDBTypeId.TIME:
      return fixed(new TimeMicrosecond(), 8);
    case DuckDBTypeId.TIMESTAMP:
      return fixed(new Timestamp(TimeUnit.MICROSECOND), 8);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return fixed(new Timestamp(TimeUnit.MICROSECOND, "UTC"), 8);
    case DuckDBTypeId.TIMESTAMP_S:
      return fixed(new Timestamp(TimeUnit.SECOND), 8);
    case DuckDBTypeId.TIMESTAMP_MS:
      return fixed(new Timestamp(TimeUnit.MILLISECOND), 8);
    case DuckDBTypeId.TIMESTAMP_NS:
      return fixed(new Timestamp(TimeUnit.NANOSECOND), 8);
    case DuckDBTypeId.HUGEINT:
      // DuckDB exports HUGEINT to Arrow as decimal128(38, 0); both are little-endian two's complement int128.
      return { kind: "decimal", precision: 38, scale: 0, width: 16 };
    case DuckDBTypeId.DECIMAL: {
      if (!(type instanceof DuckDBDecimalType)) return undefined;
      const width = type.width <= 4 ? 2 : type.width <= 9 ? 4 : type.width <= 18 ? 8 : 16;
      return { kind: "decimal", precision: type.width, scale: type.scale, width };
    }
    case DuckDBTypeId.BOOLEAN:
      return { kind: "bool" };
    case DuckDBTypeId.VARCHAR:
      return { kind: "string", binary: false };
    case DuckDBTypeId.BLOB:
      return { kind: "string", binary: true };
    case DuckDBTypeId.LIST: {
      if (!(type instanceof DuckDBListType)) return undefined;
      const child = nativeKindOf(type.valueType);
      return child === undefined ? undefined : { kind: "list", child };
    }
    case DuckDBTypeId.MAP: {
      if (!(type instanceof DuckDBMapType)) return undefined;
      const key = nativeKindOf(type.keyType);
      const value = nativeKindOf(type.valueType);
      return key === undefined || value === undefined ? undefined : { kind: "map", key, value };
    }
    case DuckDBTypeId.STRUCT: {
      if (!(type instanceof DuckDBStructType)) return undefined;
      const fields: { name: string; kind: NativeKind }[] = [];
      for (const [i, name] of type.entryNames.entries()) {
        const entry = type.entryTypes[i];
        const kind = entry === undefined ? undefined : nativeKindOf(entry);
        if (kind === undefined) return undefined;
        fields.push({ name, kind });
      }
      return { kind: "struct", fields };
    }
    default:
      return undefined;
  }
}

/** The Arrow type a native kind is copied into. */
export function arrowTypeOf(kind: NativeKind): DataType {
  switch (kind.kind) {
    case "fixed":
      return kind.type;
    case "bool":
      return new Bool();
    case "decimal":
      return new Decimal(kind.scale, kind.precision, 128);
    case "string":
      return kind.binary ? new Binary() : new Utf8();
    case "list":
      return new List(new Field("item", arrowTypeOf(kind.child), true));
    case "map":
      return new Map_<DataType, DataType>(
        new Field(
          "entries",
          new Struct<{ key: DataType; value: DataType }>([
            new Field("key", arrowTypeOf(kind.key), false),
            new Field("value", arrowTypeOf(kind.value), true),
          ]),
          false,
        ),
      );
    case "struct":
      return new Struct(kind.fields.map((f) => new Field(f.name, arrowTypeOf(f.kind), true)));
  }
}

/** True when two kinds copy into the same Arrow type and layout. */
export function sameKind(a: NativeKind, b: NativeKind): boolean {
  switch (a.kind) {
    case "fixed":
      return b.kind === "fixed" && a.width === b.width && String(a.type) === String(b.type);
    case "bool":
      return b.kind === "bool";
    case "decimal":
      return b.kind === "decimal" && a.width === b.width && a.precision === b.precision && a.scale === b.scale;
    case "string":
      return b.kind === "string" && a.binary === b.binary;
    case "list":
      return b.kind === "list" && sameKind(a.child, b.child);
    case "map":
      return b.kind === "map" && sameKind(a.key, b.key) && sameKind(a.value, b.value);
    case "struct":
      return (
        b.kind === "struct" &&
        a.fields.length === b.fields.length &&
        a.fields.every((f, i) => {
          const g = b.fields[i];
          return g !== undefined && f.name === g.name && sameKind(f.kind, g.kind);
        })
      );
  }
}
