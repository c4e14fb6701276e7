//! The native Parquet decoder of @mlfusion/delta (docs/adr/0006-native-parquet-decoding.md).
//!
//! arrow-rs's Parquet reader (the same library parquet-wasm compiles to wasm, so the Arrow types it produces are
//! the same) reads a local data file on libuv's thread pool, so that several files or row groups decode at once
//! while the JavaScript thread consumes batches. Each batch reaches JavaScript without a copy when its types allow:
//! its Arrow buffers become external ArrayBuffers, described by a pre-order list of array nodes. Other batches
//! (dictionaries, views, unions, sliced arrays) arrive as Arrow IPC stream bytes in an external Buffer (one copy).
//!
//! The JavaScript side (packages/delta/src/parquet/native-decoder.ts) checks `abiVersion()` before use.

use std::any::Any;
use std::collections::HashSet;
use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};

use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_buffer::Buffer as ArrowBuffer;
use arrow_data::ArrayData;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::DataType;
use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Uint8Array};
use napi::{Env, Error, Result, Task};
use napi_derive::napi;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

/// The version of this interface; the JavaScript side refuses an addon with any other.
#[napi]
pub fn abi_version() -> u32 {
    2
}

/// What to read of a file: top-level columns (all when absent; names the file lacks are ignored), row groups
/// (all when absent), and rows per batch.
#[napi(object)]
pub struct ReadOptions {
    pub columns: Option<Vec<String>>,
    pub row_groups: Option<Vec<u32>>,
    pub batch_size: Option<u32>,
}

/// Opens `path` (reads its footer) on the thread pool; resolves to a reader of its batches.
#[napi(ts_return_type = "Promise<ParquetBatchReader>")]
pub fn open_reader(path: String, options: ReadOptions) -> AsyncTask<Open> {
    AsyncTask::new(Open { path, options })
}

struct Shared {
    /// None once the file is exhausted, failed or closed.
    reader: Mutex<Option<ParquetRecordBatchReader>>,
    closed: AtomicBool,
    /// The batches' schema as Arrow IPC stream bytes.
    schema: Vec<u8>,
}

/// The batches of one open file. `next()` decodes one batch on the thread pool; calls must not overlap.
#[napi]
pub struct ParquetBatchReader {
    shared: Arc<Shared>,
}

#[napi]
impl ParquetBatchReader {
    /// The next batch, or null at the end: its buffers and nodes (see `ExportedBatch`), or Arrow IPC stream bytes
    /// (a schema message and one record batch).
    #[napi(ts_return_type = "Promise<ExportedBatch | Buffer | null>")]
    pub fn next(&self) -> AsyncTask<Next> {
        AsyncTask::new(Next { shared: Arc::clone(&self.shared) })
    }

    /// The schema of the batches as Arrow IPC stream bytes (a schema message only).
    #[napi]
    pub fn schema(&self) -> Buffer {
        Buffer::from(self.shared.schema.clone())
    }

    /// Releases the file; a batch being decoded finishes first, and later `next()` calls return null.
    #[napi]
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        if let Ok(mut reader) = self.shared.reader.try_lock() {
            *reader = None;
        }
    }
}

pub struct Open {
    path: String,
    options: ReadOptions,
}

impl Task for Open {
    type Output = (ParquetRecordBatchReader, Vec<u8>);
    type JsValue = ParquetBatchReader;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded(|| {
            let reader = open(&self.path, &self.options)?;
            let mut writer = StreamWriter::try_new(Vec::new(), &reader.schema()).map_err(reason)?;
            writer.finish().map_err(reason)?;
            Ok((reader, writer.into_inner().map_err(reason)?))
        })?
    }

    fn resolve(&mut self, _env: Env, (reader, schema): Self::Output) -> Result<Self::JsValue> {
        Ok(ParquetBatchReader {
            shared: Arc::new(Shared { reader: Mutex::new(Some(reader)), closed: AtomicBool::new(false), schema }),
        })
    }
}

fn open(path: &str, options: &ReadOptions) -> Result<ParquetRecordBatchReader> {
    let file = File::open(path).map_err(|e| Error::from_reason(format!("cannot open {path}: {e}")))?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(reason)?;
    if let Some(columns) = &options.columns {
        // Arrow's top-level fields map one to one onto the Parquet schema's root columns.
        let fields = builder.schema().fields();
        let roots: Vec<usize> =
            fields.iter().enumerate().filter(|(_, f)| columns.iter().any(|c| c == f.name())).map(|(i, _)| i).collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        builder = builder.with_projection(mask);
    }
    if let Some(groups) = &options.row_groups {
        let count = builder.metadata().num_row_groups();
        if let Some(bad) = groups.iter().find(|&&g| g as usize >= count) {
            return Err(Error::from_reason(format!("row group {bad} does not exist (the file has {count})")));
        }
        builder = builder.with_row_groups(groups.iter().map(|&g| g as usize).collect());
    }
    if let Some(size) = options.batch_size {
        builder = builder.with_batch_size(size.max(1) as usize);
    }
    builder.build().map_err(reason)
}

pub struct Next {
    shared: Arc<Shared>,
}

/// A batch handed over without a copy. `nodes` describes its arrays in pre-order (each top-level column, then its
/// children): length, null count, the index in `buffers` of the validity bitmap or -1, the number of data buffers,
/// then their indexes (Arrow's layout: values; offsets then data; offsets for lists and maps; keys never, as
/// dictionaries go through IPC). Buffers are exact byte lengths, every array at offset 0.
#[napi(object)]
pub struct ExportedBatch {
    pub rows: u32,
    pub nodes: Vec<f64>,
    pub buffers: Vec<Uint8Array>,
}

pub enum Decoded {
    Arrays { rows: usize, nodes: Vec<f64>, buffers: Vec<ArrowBuffer> },
    Ipc(Vec<u8>),
}

impl Task for Next {
    type Output = Option<Decoded>;
    type JsValue = Option<Either<ExportedBatch, Buffer>>;

    fn compute(&mut self) -> Result<Self::Output> {
        let shared = &self.shared;
        // Panics are caught inside the lock (guarded below), so the mutex is never poisoned.
        let mut slot = shared.reader.lock().map_err(|_| Error::from_reason("the reader is unusable"))?;
        if shared.closed.load(Ordering::SeqCst) {
            *slot = None;
        }
        let Some(reader) = slot.as_mut() else { return Ok(None) };
        let outcome = guarded(|| match reader.next() {
            None => Ok(None),
            Some(Err(error)) => Err(reason(error)),
            Some(Ok(batch)) => match export(&batch) {
                Some(arrays) => Ok(Some(arrays)),
                None => to_ipc(&batch).map(|bytes| Some(Decoded::Ipc(bytes))),
            },
        });
        let output = match outcome {
            Ok(Ok(Some(bytes))) => Some(bytes),
            Ok(Ok(None)) => None,
            Ok(Err(error)) | Err(error) => {
                *slot = None;
                return Err(error);
            }
        };
        if output.is_none() || shared.closed.load(Ordering::SeqCst) {
            *slot = None;
        }
        drop(slot);
        // close() may have run while the batch was decoded (its try_lock failed then): one side always drops the
        // reader, so the file never stays open until the JavaScript object is collected.
        if shared.closed.load(Ordering::SeqCst) {
            if let Ok(mut slot) = shared.reader.try_lock() {
                *slot = None;
            }
        }
        Ok(output)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.map(|decoded| match decoded {
            // An external Buffer over the bytes: no copy into the JavaScript heap.
            Decoded::Ipc(bytes) => Either::B(Buffer::from(bytes)),
            Decoded::Arrays { rows, nodes, buffers } => Either::A(ExportedBatch {
                rows: rows as u32,
                nodes,
                buffers: buffers.into_iter().map(external).collect(),
            }),
        }))
    }
}

/// Start addresses of the buffers JavaScript holds. Older V8 versions aborted on a second external ArrayBuffer over
/// an address already held, and napi-rs still documents that restriction; Node 20 was seen to accept it, but a
/// buffer arrow-rs shares between arrays (never seen with the Parquet reader) is copied rather than risk it. It
/// costs one hash-set insert and remove per buffer.
static LIVE: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

/// An external Uint8Array over `buffer`, which stays alive until V8 collects the array.
fn external(buffer: ArrowBuffer) -> Uint8Array {
    let address = buffer.as_ptr() as usize;
    let len = buffer.len();
    let fresh = len > 0 && LIVE.lock().map(|mut live| live.get_or_insert_with(HashSet::new).insert(address)).unwrap_or(false);
    if !fresh {
        return Uint8Array::new(buffer.as_slice().to_vec());
    }
    // SAFETY: the closure owns `buffer`, so its bytes stay valid (and are never written by us) until V8 calls it.
    unsafe {
        Uint8Array::with_external_data(buffer.as_ptr() as *mut u8, len, move |_, _| {
            if let Ok(mut live) = LIVE.lock() {
                if let Some(set) = live.as_mut() {
                    set.remove(&address);
                }
            }
            drop(buffer);
        })
    }
}

/// The batch's arrays as nodes and buffers, or None when a type or layout needs IPC.
fn export(batch: &RecordBatch) -> Option<Decoded> {
    let mut nodes = Vec::new();
    let mut buffers = Vec::new();
    for column in batch.columns() {
        if !exportable(column.data_type()) {
            return None;
        }
        export_data(&column.to_data(), &mut nodes, &mut buffers)?;
    }
    Some(Decoded::Arrays { rows: batch.num_rows(), nodes, buffers })
}

fn export_data(data: &ArrayData, nodes: &mut Vec<f64>, buffers: &mut Vec<ArrowBuffer>) -> Option<()> {
    if data.offset() != 0 {
        return None;
    }
    nodes.push(data.len() as f64);
    nodes.push(data.null_count() as f64);
    match data.nulls() {
        Some(nulls) if nulls.null_count() > 0 => {
            if nulls.offset() != 0 {
                return None;
            }
            nodes.push(buffers.len() as f64);
            buffers.push(nulls.buffer().clone());
        }
        _ => nodes.push(-1.0),
    }
    nodes.push(data.buffers().len() as f64);
    for buffer in data.buffers() {
        nodes.push(buffers.len() as f64);
        buffers.push(buffer.clone());
    }
    for child in data.child_data() {
        export_data(child, nodes, buffers)?;
    }
    Some(())
}

/// Types whose layout the JavaScript side rebuilds (packages/delta/src/parquet/native-decoder.ts).
fn exportable(data_type: &DataType) -> bool {
    use DataType::*;
    match data_type {
        Null | Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float32 | Float64
        | Decimal128(_, _) | Date32 | Date64 | Time32(_) | Time64(_) | Timestamp(_, _) | Utf8 | LargeUtf8 | Binary
        | LargeBinary | FixedSizeBinary(_) => true,
        List(field) | FixedSizeList(field, _) | Map(field, _) => exportable(field.data_type()),
        Struct(fields) => fields.iter().all(|f| exportable(f.data_type())),
        _ => false,
    }
}

fn to_ipc(batch: &RecordBatch) -> Result<Vec<u8>> {
    let out = Vec::with_capacity(batch.get_array_memory_size() + 4096);
    let mut writer = StreamWriter::try_new(out, &batch.schema()).map_err(reason)?;
    writer.write(batch).map_err(reason)?;
    writer.finish().map_err(reason)?;
    let mut bytes = writer.into_inner().map_err(reason)?;
    // The Buffer keeps the allocation until V8 collects it, and the budget counts its length.
    bytes.shrink_to_fit();
    Ok(bytes)
}

fn reason(error: impl std::fmt::Display) -> Error {
    Error::from_reason(error.to_string())
}

/// Runs `f`, turning a panic inside the decoder (arrow-rs panics on some malformed files) into an error. The panic
/// hook is replaced once so that such a panic does not also print to the host's stderr: its message is in the error.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| Error::from_reason(panic_message(panic.as_ref())))
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("the Parquet decoder failed: {detail}")
}
