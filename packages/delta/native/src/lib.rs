//! The native Parquet decoder of @mlfusion/delta (docs/adr/0006-native-parquet-decoding.md).
//!
//! arrow-rs's Parquet reader (the same library parquet-wasm compiles to wasm, so the Arrow types it produces are
//! the same) reads a local data file and hands each record batch to JavaScript as Arrow IPC stream bytes in an
//! external Buffer: one copy, no wasm heap, and the decoding runs on libuv's thread pool, so that several files or
//! row groups decode at once while the JavaScript thread consumes batches.
//!
//! The JavaScript side (packages/delta/src/parquet/native-decoder.ts) checks `abiVersion()` before use.

use std::any::Any;
use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Error, Result, Task};
use napi_derive::napi;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

/// The version of this interface; the JavaScript side refuses an addon with any other.
#[napi]
pub fn abi_version() -> u32 {
    1
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
}

/// The batches of one open file. `next()` decodes one batch on the thread pool; calls must not overlap.
#[napi]
pub struct ParquetBatchReader {
    shared: Arc<Shared>,
}

#[napi]
impl ParquetBatchReader {
    /// The next batch as Arrow IPC stream bytes (a schema message and one record batch), or null at the end.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn next(&self) -> AsyncTask<Next> {
        AsyncTask::new(Next { shared: Arc::clone(&self.shared) })
    }

    /// Releases the file; a batch being decoded finishes first, and later `next()` calls return null.
    #[napi]
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
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
    type Output = ParquetRecordBatchReader;
    type JsValue = ParquetBatchReader;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded(|| open(&self.path, &self.options))?
    }

    fn resolve(&mut self, _env: Env, reader: Self::Output) -> Result<Self::JsValue> {
        Ok(ParquetBatchReader {
            shared: Arc::new(Shared { reader: Mutex::new(Some(reader)), closed: AtomicBool::new(false) }),
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

impl Task for Next {
    type Output = Option<Vec<u8>>;
    type JsValue = Option<Buffer>;

    fn compute(&mut self) -> Result<Self::Output> {
        let shared = &self.shared;
        let mut slot = shared.reader.lock().map_err(|_| Error::from_reason("the reader failed before"))?;
        if shared.closed.load(Ordering::Acquire) {
            *slot = None;
        }
        let Some(reader) = slot.as_mut() else { return Ok(None) };
        let outcome = guarded(|| match reader.next() {
            None => Ok(None),
            Some(Err(error)) => Err(reason(error)),
            Some(Ok(batch)) => to_ipc(&batch).map(Some),
        });
        let output = match outcome {
            Ok(Ok(Some(bytes))) => Some(bytes),
            Ok(Ok(None)) => None,
            Ok(Err(error)) | Err(error) => {
                *slot = None;
                return Err(error);
            }
        };
        if output.is_none() || shared.closed.load(Ordering::Acquire) {
            *slot = None;
        }
        Ok(output)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        // An external Buffer over the bytes: no copy into the JavaScript heap.
        Ok(output.map(Buffer::from))
    }
}

fn to_ipc(batch: &RecordBatch) -> Result<Vec<u8>> {
    let out = Vec::with_capacity(batch.get_array_memory_size() + 4096);
    let mut writer = StreamWriter::try_new(out, &batch.schema()).map_err(reason)?;
    writer.write(batch).map_err(reason)?;
    writer.finish().map_err(reason)?;
    writer.into_inner().map_err(reason)
}

fn reason(error: impl std::fmt::Display) -> Error {
    Error::from_reason(error.to_string())
}

/// Runs `f`, turning a panic inside the decoder (arrow-rs panics on some malformed files) into an error.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T> {
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
