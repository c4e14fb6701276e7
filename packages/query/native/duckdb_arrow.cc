// Native conversion of a streamed DuckDB result into Arrow buffers (see docs/adr/0005-native-result-conversion.md).
//
// `startPump(result)` starts a thread that fetches a @duckdb/node-bindings result's data chunks with
// `duckdb_fetch_chunk` into a bounded queue, as fast as DuckDB produces them. `fetchBatch(pump, plan, maxRows,
// maxBytes)` runs on a libuv worker thread: it takes chunks from that queue and appends each column into
// Arrow-layout buffers (validity bits, offsets, values) until the batch reaches `maxRows` rows or `maxBytes` bytes,
// then hands the buffers to JavaScript as ArrayBuffers without copying. `stopPump(pump)` ends the thread.
//
// Why a separate fetching thread: DuckDB's streaming result lets its producer (the scan) run ahead only until its
// buffer is full, and unblocks it again only once the consumer has emptied the buffer (BatchedBufferedData). A
// consumer that converts each chunk before fetching the next therefore takes turns with the scan. Fetching is cheap
// (a chunk is handed over, not copied), so the pump keeps DuckDB's buffer drained and the scan runs without pause
// while chunks are converted on another thread. The plan is the pre-order encoding of the column kinds
// that packages/query/src/arrow/native-kinds.ts derives from the result's DuckDB types; the JavaScript side builds
// apache-arrow Data from the buffers in the same order.
//
// libduckdb is the copy @duckdb/node-bindings already loaded: `init(path)` opens it with RTLD_NOLOAD, so the
// handles passed in belong to the same library, and resolves the few C API functions used here. The result handle
// is the bindings' external, checked by its type tag before it is used.

#define NAPI_VERSION 8
#include <dlfcn.h>
#include <node_api.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

typedef uint64_t idx_t;
typedef void *duckdb_data_chunk;
typedef void *duckdb_vector;

// duckdb.h's duckdb_result (a stable part of the C API's ABI); passed by value to duckdb_fetch_chunk.
struct duckdb_result {
  idx_t deprecated_column_count;
  idx_t deprecated_row_count;
  idx_t deprecated_rows_changed;
  void *deprecated_columns;
  char *deprecated_error_message;
  void *internal_data;
};

struct duckdb_list_entry {
  uint64_t offset;
  uint64_t length;
};

struct DuckDBApi {
  duckdb_data_chunk (*fetch_chunk)(duckdb_result);
  idx_t (*data_chunk_get_size)(duckdb_data_chunk);
  duckdb_vector (*data_chunk_get_vector)(duckdb_data_chunk, idx_t);
  void (*destroy_data_chunk)(duckdb_data_chunk *);
  void *(*vector_get_data)(duckdb_vector);
  uint64_t *(*vector_get_validity)(duckdb_vector);
  duckdb_vector (*list_vector_get_child)(duckdb_vector);
  duckdb_vector (*struct_vector_get_child)(duckdb_vector, idx_t);
  const char *(*result_error)(duckdb_result *);
  idx_t (*column_count)(duckdb_result *);
};

// Bumped whenever fetchBatch's arguments, plan encoding or output change; native-batches.ts checks it, so a stale
// build is never used with a newer plan.
constexpr int32_t kAbiVersion = 4;

// A call returns its rows so far after this long (once it has some), so that it does not hold a libuv thread for
// a whole batch of a slow query.
constexpr auto kCallBudget = std::chrono::milliseconds(100);

DuckDBApi api;
bool api_ready = false;

// @duckdb/node-bindings' type tag for result externals (bindings/src/type_tags.h, ResultTypeTag).
const napi_type_tag kResultTypeTag = {0x08F7FE3AE12345E5ULL, 0x8733310DC29372D9ULL};

// This addon's type tag for pump externals.
const napi_type_tag kPumpTypeTag = {0x6D6C667573696F6EULL, 0x70756D7000000001ULL};

// Column kinds, as encoded by the JavaScript plan.
enum Kind : int32_t { kFixed = 0, kBool = 1, kDecimal = 2, kString = 3, kList = 4, kStruct = 5 };

// Recycled memory for batch buffers of at least kMinBlock bytes, in power-of-two size classes. Batch buffers are
// allocated on a libuv worker and freed on the JavaScript thread when V8 collects their ArrayBuffers; with malloc
// alone every batch paid for that hand-over: glibc returned the freed blocks to the kernel (madvise), and the next
// batch faulted fresh zeroed pages in again. At most kMaxPooledBytes stay pooled; the rest is freed.
class BlockPool {
 public:
  static constexpr size_t kMinBlock = size_t(64) << 10;
  static constexpr size_t kMaxBlock = size_t(16) << 20;
  static constexpr size_t kMaxPooledBytes = size_t(64) << 20;

  // The size class for `bytes` (a power of two, at least kMinBlock), or 0 when `bytes` is outside the pooled range.
  static size_t class_of(size_t bytes) {
    if (bytes < kMinBlock || bytes > kMaxBlock) return 0;
    size_t size = kMinBlock;
    while (size < bytes) size <<= 1;
    return size;
  }

  // A block of exactly `size` bytes (a class size): a recycled one when there is one.
  void *take(size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto &list = free_[index_of(size)];
      if (!list.empty()) {
        void *block = list.back();
        list.pop_back();
        pooled_ -= size;
        return block;
      }
    }
    void *block = std::malloc(size);
    if (block == nullptr) throw std::bad_alloc();
    return block;
  }

  // Takes back a block of `size` bytes (a class size), or frees it when the pool is full.
  void give(void *block, size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (pooled_ + size <= kMaxPooledBytes) {
        free_[index_of(size)].push_back(block);
        pooled_ += size;
        return;
      }
    }
    std::free(block);
  }

 private:
  static size_t index_of(size_t size) {
    size_t i = 0;
    while ((kMinBlock << i) < size) i++;
    return i;
  }
  std::mutex mutex_;
  std::vector<void *> free_[9];  // 64 KiB .. 16 MiB
  size_t pooled_ = 0;
};

BlockPool block_pool;

// Frees memory of a Buffer: `capacity` tells whether it is a pooled block.
void release_block(void *data, size_t capacity) {
  if (data == nullptr) return;
  if (BlockPool::class_of(capacity) == capacity) {
    block_pool.give(data, capacity);
  } else {
    std::free(data);
  }
}

// A growable buffer whose memory is handed to JavaScript as an external ArrayBuffer. Small buffers are malloc'd;
// from BlockPool::kMinBlock up to kMaxBlock they are pooled blocks (capacity is then the block's class size).
struct Buffer {
  uint8_t *data = nullptr;
  size_t length = 0;
  size_t capacity = 0;

  ~Buffer() { release_block(data, capacity); }

  // Capacity for at least `bytes` in total, so that growing to that size copies nothing.
  void reserve(size_t bytes) {
    if (bytes <= capacity) return;
    size_t block = BlockPool::class_of(bytes);
    if (block == 0) {
      if (BlockPool::class_of(capacity) == capacity && capacity != 0) {
        // From a pooled block to a malloc'd one (past kMaxBlock).
        auto *moved = static_cast<uint8_t *>(std::malloc(bytes));
        if (moved == nullptr) throw std::bad_alloc();
        if (length > 0) std::memcpy(moved, data, length);
        release_block(data, capacity);
        data = moved;
      } else {
        auto *moved = static_cast<uint8_t *>(std::realloc(data, bytes));
        if (moved == nullptr) throw std::bad_alloc();
        data = moved;
      }
      capacity = bytes;
      return;
    }
    auto *moved = static_cast<uint8_t *>(block_pool.take(block));
    if (length > 0) std::memcpy(moved, data, length);
    release_block(data, capacity);
    data = moved;
    capacity = block;
  }

  // Room for `extra` more bytes; new bytes are not initialised.
  uint8_t *grow(size_t extra) {
    size_t needed = length + extra;
    if (needed > capacity) {
      size_t next = std::max<size_t>(capacity * 2, 256);
      while (next < needed) next *= 2;
      reserve(next);
    }
    uint8_t *at = data + length;
    length = needed;
    return at;
  }

  // Gives up the memory; the caller frees it with release_block(data, capacity) (capacity as it was before).
  uint8_t *release() {
    uint8_t *out = data;
    data = nullptr;
    length = capacity = 0;
    return out;
  }
};

inline bool mask_valid(const uint64_t *mask, idx_t row) {
  return mask == nullptr || ((mask[row >> 6] >> (row & 63)) & 1) != 0;
}

// An Arrow validity bitmap built lazily: nothing is allocated while every row is valid.
struct Validity {
  Buffer bits;
  bool materialised = false;
  int64_t null_count = 0;

  void ensure_bits(size_t rows) {
    size_t bytes = (rows + 7) / 8;
    if (bytes > bits.length) std::memset(bits.grow(bytes - bits.length), 0, bytes - bits.length);
  }

  // Appends rows [start, start + count) of a DuckDB validity mask at position `at` (rows already appended).
  void append(const uint64_t *mask, idx_t start, idx_t count, size_t at) {
    if (!materialised) {
      bool all_valid = true;
      if (mask != nullptr) {
        for (idx_t i = 0; i < count && all_valid; i++) all_valid = mask_valid(mask, start + i);
      }
      if (all_valid) return;
      materialised = true;
      ensure_bits(at);
      if (at >= 8) std::memset(bits.data, 0xff, at / 8);
      for (size_t r = at & ~size_t(7); r < at; r++) bits.data[r >> 3] |= uint8_t(1u << (r & 7));
    }
    ensure_bits(at + count);
    for (idx_t i = 0; i < count; i++) {
      size_t r = at + i;
      if (mask_valid(mask, start + i)) {
        bits.data[r >> 3] |= uint8_t(1u << (r & 7));
      } else {
        null_count++;
      }
    }
  }
};

// One node of the column tree: a column, a list's values or a struct's field.
struct Column {
  Kind kind;
  int32_t width;  // fixed: bytes per value; decimal: DuckDB's physical width (2, 4, 8 or 16)
  std::vector<std::unique_ptr<Column>> children;
  size_t length = 0;
  Validity validity;
  Buffer values;
  Buffer offsets;  // int32 offsets (strings, lists), length + 1 of them once started

  size_t byte_length() const {
    size_t n = values.length + offsets.length + validity.bits.length;
    for (const auto &child : children) n += child->byte_length();
    return n;
  }

  void start_offsets() {
    if (offsets.length == 0) *reinterpret_cast<int32_t *>(offsets.grow(4)) = 0;
  }

  int32_t last_offset() const { return reinterpret_cast<const int32_t *>(offsets.data)[length]; }

  void append(duckdb_vector vector, idx_t start, idx_t count) {
    const uint64_t *mask = api.vector_get_validity(vector);
    const uint8_t *data = static_cast<const uint8_t *>(api.vector_get_data(vector));
    switch (kind) {
      case kFixed: {
        uint8_t *out = values.grow(count * width);
        std::memcpy(out, data + start * width, count * width);
        // Null slots hold whatever DuckDB's buffer held (possibly another query's data): zero them.
        if (mask != nullptr) {
          for (idx_t i = 0; i < count; i++) {
            if (!mask_valid(mask, start + i)) std::memset(out + i * width, 0, width);
          }
        }
        break;
      }
      case kBool: {
        size_t bytes = (length + count + 7) / 8;
        if (bytes > values.length) std::memset(values.grow(bytes - values.length), 0, bytes - values.length);
        for (idx_t i = 0; i < count; i++) {
          size_t r = length + i;
          if (data[start + i] != 0 && mask_valid(mask, start + i)) values.data[r >> 3] |= uint8_t(1u << (r & 7));
        }
        break;
      }
      case kDecimal: {
        uint8_t *out = values.grow(count * 16);
        if (width == 16) {
          std::memcpy(out, data + start * 16, count * 16);
          if (mask != nullptr) {
            for (idx_t i = 0; i < count; i++) {
              if (!mask_valid(mask, start + i)) std::memset(out + i * 16, 0, 16);
            }
          }
          break;
        }
        for (idx_t i = 0; i < count; i++) {
          if (!mask_valid(mask, start + i)) {
            std::memset(out + i * 16, 0, 16);
            continue;
          }
          int64_t v;
          const uint8_t *at = data + (start + i) * width;
          if (width == 2) {
            int16_t x;
            std::memcpy(&x, at, 2);
            v = x;
          } else if (width == 4) {
            int32_t x;
            std::memcpy(&x, at, 4);
            v = x;
          } else {
            std::memcpy(&v, at, 8);
          }
          int64_t high = v < 0 ? -1 : 0;
          std::memcpy(out + i * 16, &v, 8);
          std::memcpy(out + i * 16 + 8, &high, 8);
        }
        break;
      }
      case kString: {
        start_offsets();
        auto *offs = reinterpret_cast<int32_t *>(offsets.grow(count * 4));
        int64_t cursor = last_offset();
        for (idx_t i = 0; i < count; i++) {
          idx_t row = start + i;
          if (mask_valid(mask, row)) {
            // duckdb_string_t: 4-byte length, then 12 inlined bytes, or a 4-byte prefix and a pointer.
            const uint8_t *s = data + row * 16;
            uint32_t n;
            std::memcpy(&n, s, 4);
            const uint8_t *bytes = s + 4;
            if (n > 12) std::memcpy(&bytes, s + 8, sizeof(bytes));
            if (cursor + n > INT32_MAX) throw std::length_error("a string column's batch exceeds 2 GiB");
            if (n > 0) std::memcpy(values.grow(n), bytes, n);
            cursor += n;
          }
          offs[i] = int32_t(cursor);
        }
        break;
      }
      case kList: {
        start_offsets();
        auto *offs = reinterpret_cast<int32_t *>(offsets.grow(count * 4));
        auto *entries = reinterpret_cast<const duckdb_list_entry *>(data);
        duckdb_vector child_vector = api.list_vector_get_child(vector);
        Column &child = *children[0];
        int64_t cursor = last_offset();
        // Consecutive entries adjacent in the child vector are copied as one range (the usual case).
        idx_t run_start = 0, run_length = 0;
        for (idx_t i = 0; i < count; i++) {
          idx_t row = start + i;
          if (mask_valid(mask, row)) {
            const duckdb_list_entry &entry = entries[row];
            if (run_length > 0 && entry.offset != run_start + run_length) {
              child.append(child_vector, run_start, run_length);
              run_length = 0;
            }
            if (run_length == 0) run_start = entry.offset;
            run_length += entry.length;
            cursor += int64_t(entry.length);
            if (cursor > INT32_MAX) throw std::length_error("a list column's batch exceeds 2^31 values");
          }
          offs[i] = int32_t(cursor);
        }
        if (run_length > 0) child.append(child_vector, run_start, run_length);
        break;
      }
      case kStruct:
        for (size_t k = 0; k < children.size(); k++) {
          children[k]->append(api.struct_vector_get_child(vector, k), start, count);
        }
        break;
    }
    validity.append(mask, start, count, length);
    length += count;
  }
};

// Parses the pre-order plan: [kind, param] per node; a list is followed by its child, a struct (param = number of
// fields) by its fields.
std::unique_ptr<Column> parse_plan(const int32_t *plan, size_t size, size_t &at) {
  if (at + 2 > size) throw std::invalid_argument("truncated plan");
  auto column = std::make_unique<Column>();
  int32_t kind = plan[at];
  int32_t param = plan[at + 1];
  at += 2;
  if (kind < kFixed || kind > kStruct) throw std::invalid_argument("unknown column kind in plan");
  column->kind = Kind(kind);
  column->width = param;
  if (kind == kFixed && param != 1 && param != 2 && param != 4 && param != 8 && param != 16) {
    throw std::invalid_argument("bad fixed width in plan");
  }
  if (kind == kDecimal && param != 2 && param != 4 && param != 8 && param != 16) {
    throw std::invalid_argument("bad decimal width in plan");
  }
  if (kind == kList) column->children.push_back(parse_plan(plan, size, at));
  if (kind == kStruct) {
    for (int32_t k = 0; k < param; k++) column->children.push_back(parse_plan(plan, size, at));
  }
  return column;
}


// The fetching thread of one streamed result and the chunks it fetched, not yet converted. Chunks are queued up to
// `capacity`; the thread then waits for room. The pump owns a reference to the bindings' result object, so the
// result outlives the thread; stopPump (or, as a fallback, the external's finalizer) joins the thread before the
// reference is dropped.
struct Pump {
  duckdb_result *result = nullptr;
  napi_ref result_ref = nullptr;  // touched on the JavaScript thread only
  size_t capacity = 0;
  std::mutex mutex;
  std::condition_variable changed;  // a chunk queued, a chunk taken, the end, or a stop
  std::deque<duckdb_data_chunk> chunks;
  bool ended = false;  // no chunk will be queued any more: the result ended, failed, or the pump stopped
  bool stop = false;
  std::string error;  // DuckDB's error when the result failed
  std::thread thread;
  bool stopping = false;  // stopPump was called (JavaScript thread only)

  // Asks the thread to stop and waits for it; frees the chunks no one took. Safe to call twice.
  void halt() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    changed.notify_all();
    if (thread.joinable()) thread.join();
    std::lock_guard<std::mutex> lock(mutex);
    for (auto &chunk : chunks) api.destroy_data_chunk(&chunk);
    chunks.clear();
  }

  ~Pump() { halt(); }
};

void pump_run(Pump *p) {
  std::string error;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(p->mutex);
      p->changed.wait(lock, [p] { return p->stop || p->chunks.size() < p->capacity; });
      if (p->stop) break;
    }
    // Outside the lock: this runs DuckDB's tasks while its buffer is empty.
    duckdb_data_chunk chunk = api.fetch_chunk(*p->result);
    if (chunk == nullptr) {
      const char *message = api.result_error(p->result);
      if (message != nullptr && message[0] != '\0') error = message;
      break;
    }
    if (api.data_chunk_get_size(chunk) == 0) {
      api.destroy_data_chunk(&chunk);
      break;
    }
    {
      std::lock_guard<std::mutex> lock(p->mutex);
      p->chunks.push_back(chunk);
    }
    p->changed.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(p->mutex);
    p->ended = true;
    p->error = std::move(error);
  }
  p->changed.notify_all();
}

struct FetchWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref pump_ref = nullptr;  // keeps the pump (and through it the result) alive during the call
  Pump *pump = nullptr;
  std::vector<std::unique_ptr<Column>> columns;
  size_t max_rows = 0;
  size_t max_bytes = 0;
  size_t rows = 0;
  bool done = false;  // the result has no more rows: fetching again would fail
  std::string error;
  // Set to non-zero by JavaScript to stop the call between chunks (a consumer that stopped reading).
  const int32_t *cancel = nullptr;
  napi_ref cancel_ref = nullptr;
};

// The next queued chunk, waiting for one while the call may still wait: nullptr when the result ended (w->done,
// with w->error when it failed), when JavaScript cancelled, or when the call's time budget ran out (with or without
// rows: a slow query must not hold a libuv worker, which file reads and DuckDB's other calls share).
duckdb_data_chunk next_chunk(FetchWork *w, std::chrono::steady_clock::time_point started) {
  Pump *p = w->pump;
  std::unique_lock<std::mutex> lock(p->mutex);
  for (;;) {
    if (!p->chunks.empty()) {
      duckdb_data_chunk chunk = p->chunks.front();
      p->chunks.pop_front();
      lock.unlock();
      p->changed.notify_all();
      return chunk;
    }
    if (p->ended) {
      if (!p->error.empty()) w->error = p->error;
      w->done = true;
      return nullptr;
    }
    if (w->cancel != nullptr && __atomic_load_n(w->cancel, __ATOMIC_RELAXED) != 0) return nullptr;
    if (std::chrono::steady_clock::now() - started >= kCallBudget) return nullptr;
    // Woken by the pump; the timeout only bounds how late a cancel or the budget is noticed.
    p->changed.wait_for(lock, std::chrono::milliseconds(10));
  }
}

void fetch_execute(napi_env, void *data) {
  auto *w = static_cast<FetchWork *>(data);
  const auto started = std::chrono::steady_clock::now();
  try {
    while (w->rows < w->max_rows) {
      if (w->cancel != nullptr && __atomic_load_n(w->cancel, __ATOMIC_RELAXED) != 0) break;
      if (w->rows > 0 && std::chrono::steady_clock::now() - started >= kCallBudget) break;
      duckdb_data_chunk chunk = next_chunk(w, started);
      if (chunk == nullptr) break;
      idx_t n = api.data_chunk_get_size(chunk);
      try {
        for (size_t c = 0; c < w->columns.size(); c++) {
          duckdb_vector vector = api.data_chunk_get_vector(chunk, c);
          if (vector == nullptr) throw std::invalid_argument("the result has fewer columns than the plan");
          w->columns[c]->append(vector, 0, n);
        }
      } catch (...) {
        api.destroy_data_chunk(&chunk);
        throw;
      }
      api.destroy_data_chunk(&chunk);
      w->rows += n;
      size_t bytes = 0;
      for (const auto &column : w->columns) bytes += column->byte_length();
      if (bytes >= w->max_bytes) break;
    }
  } catch (const std::exception &e) {
    w->error = e.what();
  } catch (...) {
    w->error = "unknown error while fetching a DuckDB result";
  }
}

// The ArrayBuffer's finalizer: `hint` carries the block's capacity.
void free_buffer(napi_env, void *data, void *hint) { release_block(data, reinterpret_cast<size_t>(hint)); }

napi_value to_array_buffer(napi_env env, Buffer &buffer) {
  napi_value out;
  if (buffer.length == 0) {
    napi_get_null(env, &out);
    return out;
  }
  size_t length = buffer.length;
  size_t capacity = buffer.capacity;
  uint8_t *data = buffer.release();
  // V8 accounts `length` bytes; a pooled block's unused tail is at most half of it.
  napi_status status =
      napi_create_external_arraybuffer(env, data, length, free_buffer, reinterpret_cast<void *>(capacity), &out);
  if (status == napi_no_external_buffers_allowed) {
    // Runtimes without external buffers: copy. Node has not taken the memory in this case.
    void *copy = nullptr;
    napi_status made = napi_create_arraybuffer(env, length, &copy, &out);
    if (made == napi_ok && copy != nullptr) std::memcpy(copy, data, length);
    release_block(data, capacity);
    if (made != napi_ok || copy == nullptr) throw std::bad_alloc();
  } else if (status != napi_ok) {
    // Node may already have run the finalizer (a buffer over its maximum length): the memory is not ours any more.
    throw std::runtime_error("could not hand a batch buffer to JavaScript");
  }
  return out;
}

// Appends the pre-order node objects { length, nullCount, validity, values, offsets } of `column` to `nodes`.
void export_column(napi_env env, Column &column, napi_value nodes, uint32_t &index) {
  napi_value node, value;
  napi_create_object(env, &node);
  napi_create_double(env, double(column.length), &value);
  napi_set_named_property(env, node, "length", value);
  napi_create_double(env, double(column.validity.null_count), &value);
  napi_set_named_property(env, node, "nullCount", value);
  napi_set_named_property(env, node, "validity", to_array_buffer(env, column.validity.bits));
  napi_set_named_property(env, node, "values", to_array_buffer(env, column.values));
  napi_set_named_property(env, node, "offsets", to_array_buffer(env, column.offsets));
  napi_set_element(env, nodes, index++, node);
  for (auto &child : column.children) export_column(env, *child, nodes, index);
}

void settle(napi_env env, napi_status status, FetchWork &work);

void fetch_complete(napi_env env, napi_status status, void *data) {
  std::unique_ptr<FetchWork> w(static_cast<FetchWork *>(data));
  try {
    settle(env, status, *w);
  } catch (const std::exception &e) {
    napi_value message, error;
    napi_create_string_utf8(env, e.what(), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, w->deferred, error);
  }
  napi_delete_reference(env, w->pump_ref);
  if (w->cancel_ref != nullptr) napi_delete_reference(env, w->cancel_ref);
  napi_delete_async_work(env, w->work);
}

void settle(napi_env env, napi_status status, FetchWork &work) {
  FetchWork *w = &work;
  napi_value outcome;
  if (status != napi_ok || !w->error.empty()) {
    napi_value message;
    std::string text = w->error.empty() ? "the native fetch was cancelled" : w->error;
    napi_create_string_utf8(env, text.c_str(), text.size(), &message);
    napi_create_error(env, nullptr, message, &outcome);
    napi_reject_deferred(env, w->deferred, outcome);
  } else if (w->rows == 0 && w->done) {
    napi_get_null(env, &outcome);
    napi_resolve_deferred(env, w->deferred, outcome);
  } else {
    napi_value rows, nodes;
    napi_create_object(env, &outcome);
    napi_create_double(env, double(w->rows), &rows);
    napi_set_named_property(env, outcome, "rows", rows);
    napi_value done;
    napi_get_boolean(env, w->done, &done);
    napi_set_named_property(env, outcome, "done", done);
    napi_create_array(env, &nodes);
    uint32_t index = 0;
    for (auto &column : w->columns) export_column(env, *column, nodes, index);
    napi_set_named_property(env, outcome, "nodes", nodes);
    napi_resolve_deferred(env, w->deferred, outcome);
  }
}

napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

// init(libduckdbPath): resolves the C API from the libduckdb that @duckdb/node-bindings loaded.
napi_value init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (api_ready) return undefined;
  char path[4096];
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &length) != napi_ok) {
    return throw_error(env, "init(libduckdbPath) takes the path of libduckdb");
  }
  void *library = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  // By soname: the copy the bindings' duckdb.node loaded, wherever it was resolved from.
  if (library == nullptr) library = dlopen("libduckdb.so", RTLD_NOW | RTLD_NOLOAD);
  if (library == nullptr) {
    std::string message = std::string("libduckdb is not loaded from ") + path + ": load @duckdb/node-bindings first";
    return throw_error(env, message.c_str());
  }
  struct Symbol {
    const char *name;
    void **slot;
  } symbols[] = {
      {"duckdb_fetch_chunk", reinterpret_cast<void **>(&api.fetch_chunk)},
      {"duckdb_data_chunk_get_size", reinterpret_cast<void **>(&api.data_chunk_get_size)},
      {"duckdb_data_chunk_get_vector", reinterpret_cast<void **>(&api.data_chunk_get_vector)},
      {"duckdb_destroy_data_chunk", reinterpret_cast<void **>(&api.destroy_data_chunk)},
      {"duckdb_vector_get_data", reinterpret_cast<void **>(&api.vector_get_data)},
      {"duckdb_vector_get_validity", reinterpret_cast<void **>(&api.vector_get_validity)},
      {"duckdb_list_vector_get_child", reinterpret_cast<void **>(&api.list_vector_get_child)},
      {"duckdb_struct_vector_get_child", reinterpret_cast<void **>(&api.struct_vector_get_child)},
      {"duckdb_result_error", reinterpret_cast<void **>(&api.result_error)},
      {"duckdb_column_count", reinterpret_cast<void **>(&api.column_count)},
  };
  for (auto &symbol : symbols) {
    *symbol.slot = dlsym(library, symbol.name);
    if (*symbol.slot == nullptr) {
      std::string message = std::string("libduckdb has no ") + symbol.name;
      return throw_error(env, message.c_str());
    }
  }
  // The handle stays open (one reference) so the library outlives every call.
  api_ready = true;
  return undefined;
}

// fetchBatch(result, plan: Int32Array, maxRows, maxBytes): Promise<{ rows, done, nodes } | null>; `done`: the
// result ended within this batch, so no further call is needed (one would fail).
// The bindings' result handle behind `value`, or nullptr when `value` is not one (checked by type tag).
duckdb_result *result_of(napi_env env, napi_value value) {
  bool tagged = false;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return nullptr;
  if (napi_check_object_type_tag(env, value, &kResultTypeTag, &tagged) != napi_ok || !tagged) return nullptr;
  void *result = nullptr;
  if (napi_get_value_external(env, value, &result) != napi_ok) return nullptr;
  return static_cast<duckdb_result *>(result);
}

// A row or byte limit from JavaScript: at least 1; Infinity and anything past 2^53 mean no limit.
size_t limit_of(double x) {
  if (!(x >= 1)) return 1;
  if (x >= 9007199254740992.0) return SIZE_MAX;
  return size_t(x);
}

// accepts(result): whether fetchBatch can read this value (a result handle of the bindings this addon knows).
napi_value accepts(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_value out;
  napi_get_boolean(env, api_ready && argc >= 1 && result_of(env, argv[0]) != nullptr, &out);
  return out;
}

// The pump behind `value`, or nullptr when `value` is not one of this addon's pump externals.
Pump *pump_of(napi_env env, napi_value value) {
  bool tagged = false;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return nullptr;
  if (napi_check_object_type_tag(env, value, &kPumpTypeTag, &tagged) != napi_ok || !tagged) return nullptr;
  void *pump = nullptr;
  if (napi_get_value_external(env, value, &pump) != napi_ok) return nullptr;
  return static_cast<Pump *>(pump);
}

struct FinalizeWork {
  napi_async_work work = nullptr;
  Pump *pump = nullptr;
};

// Frees a stopped pump on the JavaScript thread: drops the result, then the pump.
void free_pump(napi_env env, Pump *p) {
  if (p->result_ref != nullptr) napi_delete_reference(env, p->result_ref);
  delete p;
}

// The fallback when JavaScript drops a pump without stopPump (an iterator abandoned without return()). The thread
// may be inside a long fetch, so it is joined on a libuv worker, not on the JavaScript thread; the result is
// released once it has ended.
void finalize_pump(napi_env env, void *data, void *) {
  auto *p = static_cast<Pump *>(data);
  if (!p->thread.joinable()) {
    free_pump(env, p);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(p->mutex);
    p->stop = true;
  }
  p->changed.notify_all();
  auto *w = new (std::nothrow) FinalizeWork();
  napi_value name;
  if (w != nullptr && napi_create_string_utf8(env, "mlfusion.duckdbFreePump", NAPI_AUTO_LENGTH, &name) == napi_ok &&
      napi_create_async_work(
          env, nullptr, name, [](napi_env, void *d) { static_cast<FinalizeWork *>(d)->pump->halt(); },
          [](napi_env env, napi_status, void *d) {
            std::unique_ptr<FinalizeWork> work(static_cast<FinalizeWork *>(d));
            free_pump(env, work->pump);
            napi_delete_async_work(env, work->work);
          },
          w, &w->work) == napi_ok) {
    w->pump = p;
    if (napi_queue_async_work(env, w->work) == napi_ok) return;
    napi_delete_async_work(env, w->work);
  }
  delete w;
  // No worker to hand it to (the environment is shutting down): stop it here.
  p->halt();
  free_pump(env, p);
}

// startPump(result, capacity): a pump external whose thread starts fetching the result's chunks at once, keeping at
// most `capacity` of them queued. Nothing else may read the result until stopPump settles.
napi_value start_pump(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (!api_ready) return throw_error(env, "call init(libduckdbPath) first");
  if (argc < 2) return throw_error(env, "startPump(result, capacity)");
  duckdb_result *result = result_of(env, argv[0]);
  if (result == nullptr) return throw_error(env, "startPump: not a @duckdb/node-bindings result");
  double capacity = 0;
  napi_get_value_double(env, argv[1], &capacity);
  auto pump = std::make_unique<Pump>();
  pump->result = result;
  pump->capacity = limit_of(capacity);
  napi_value external;
  if (napi_create_reference(env, argv[0], 1, &pump->result_ref) != napi_ok) {
    return throw_error(env, "startPump: could not hold the result");
  }
  Pump *raw = pump.get();
  if (napi_create_external(env, raw, finalize_pump, nullptr, &external) != napi_ok) {
    napi_delete_reference(env, pump->result_ref);
    return throw_error(env, "startPump: could not create the pump");
  }
  // From here the external owns the pump (its finalizer frees it).
  pump.release();
  if (napi_type_tag_object(env, external, &kPumpTypeTag) != napi_ok) {
    return throw_error(env, "startPump: could not tag the pump");
  }
  try {
    raw->thread = std::thread(pump_run, raw);
  } catch (const std::exception &e) {
    return throw_error(env, (std::string("startPump: could not start a thread: ") + e.what()).c_str());
  }
  return external;
}

struct StopWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref pump_ref = nullptr;
  Pump *pump = nullptr;
};

void stop_execute(napi_env, void *data) { static_cast<StopWork *>(data)->pump->halt(); }

void stop_complete(napi_env env, napi_status, void *data) {
  std::unique_ptr<StopWork> w(static_cast<StopWork *>(data));
  // The thread has ended: nothing reads the result any more, so it may be closed or collected.
  if (w->pump->result_ref != nullptr) {
    napi_delete_reference(env, w->pump->result_ref);
    w->pump->result_ref = nullptr;
  }
  napi_delete_reference(env, w->pump_ref);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_resolve_deferred(env, w->deferred, undefined);
  napi_delete_async_work(env, w->work);
}

// stopPump(pump): Promise<void>, settled once the pump's thread has ended (after the fetch it is in, if any) and
// its queued chunks are freed. Later calls settle at once.
napi_value stop_pump(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump *pump = argc >= 1 ? pump_of(env, argv[0]) : nullptr;
  if (pump == nullptr) return throw_error(env, "stopPump(pump): not a pump");
  napi_value promise, name;
  auto w = std::make_unique<StopWork>();
  w->pump = pump;
  if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) return throw_error(env, "stopPump: no promise");
  if (pump->stopping) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, w->deferred, undefined);
    return promise;
  }
  if (napi_create_reference(env, argv[0], 1, &w->pump_ref) != napi_ok ||
      napi_create_string_utf8(env, "mlfusion.duckdbStopPump", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, stop_execute, stop_complete, w.get(), &w->work) != napi_ok ||
      napi_queue_async_work(env, w->work) != napi_ok) {
    if (w->pump_ref != nullptr) napi_delete_reference(env, w->pump_ref);
    if (w->work != nullptr) napi_delete_async_work(env, w->work);
    return throw_error(env, "stopPump: could not stop the pump");
  }
  pump->stopping = true;
  w.release();
  return promise;
}

// fetchBatch(pump, plan: Int32Array, maxRows, maxBytes, cancel?: Int32Array): Promise<{ rows, done, nodes } | null>
// `done`: the result ended within this batch, so no further call is needed. Setting cancel[0] to non-zero stops
// the call between chunks with the rows it has. One call at a time per pump.
napi_value fetch_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (!api_ready) return throw_error(env, "call init(libduckdbPath) first");
  if (argc < 4) return throw_error(env, "fetchBatch(pump, plan, maxRows, maxBytes, cancel?)");
  Pump *pump = pump_of(env, argv[0]);
  if (pump == nullptr) return throw_error(env, "fetchBatch: not a pump (startPump)");
  if (pump->stopping) return throw_error(env, "fetchBatch: the pump is stopped");
  napi_typedarray_type array_type;
  size_t plan_length = 0;
  void *plan_data = nullptr;
  bool is_typed = false;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed) return throw_error(env, "fetchBatch: the plan is an Int32Array");
  napi_get_typedarray_info(env, argv[1], &array_type, &plan_length, &plan_data, nullptr, nullptr);
  if (array_type != napi_int32_array) return throw_error(env, "fetchBatch: the plan is an Int32Array");
  double max_rows = 0, max_bytes = 0;
  napi_get_value_double(env, argv[2], &max_rows);
  napi_get_value_double(env, argv[3], &max_bytes);

  std::unique_ptr<FetchWork> w;
  try {
    w = std::make_unique<FetchWork>();
    size_t at = 0;
    const auto *plan = static_cast<const int32_t *>(plan_data);
    while (at < plan_length) w->columns.push_back(parse_plan(plan, plan_length, at));
  } catch (const std::exception &e) {
    return throw_error(env, (std::string("fetchBatch: ") + e.what()).c_str());
  }
  if (w->columns.size() != api.column_count(pump->result)) {
    return throw_error(env, "fetchBatch: the plan's column count differs from the result's");
  }
  if (argc >= 5) {
    napi_valuetype cancel_type;
    napi_typeof(env, argv[4], &cancel_type);
    if (cancel_type != napi_undefined) {
      bool cancel_typed = false;
      napi_is_typedarray(env, argv[4], &cancel_typed);
      size_t cancel_length = 0;
      void *cancel_data = nullptr;
      napi_typedarray_type cancel_array_type = napi_uint8_array;
      if (cancel_typed) {
        napi_get_typedarray_info(env, argv[4], &cancel_array_type, &cancel_length, &cancel_data, nullptr, nullptr);
      }
      if (!cancel_typed || cancel_array_type != napi_int32_array || cancel_length < 1) {
        return throw_error(env, "fetchBatch: cancel is an Int32Array");
      }
      w->cancel = static_cast<const int32_t *>(cancel_data);
      if (napi_create_reference(env, argv[4], 1, &w->cancel_ref) != napi_ok) {
        return throw_error(env, "fetchBatch: could not hold the cancel flag");
      }
    }
  }
  w->pump = pump;
  w->max_rows = limit_of(max_rows);
  w->max_bytes = limit_of(max_bytes);
  napi_value promise, name;
  // Keeps the pump (and so the result) alive while the worker uses it.
  if (napi_create_reference(env, argv[0], 1, &w->pump_ref) != napi_ok ||
      napi_create_promise(env, &w->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "mlfusion.duckdbFetchBatch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, fetch_execute, fetch_complete, w.get(), &w->work) != napi_ok ||
      napi_queue_async_work(env, w->work) != napi_ok) {
    if (w->pump_ref != nullptr) napi_delete_reference(env, w->pump_ref);
    if (w->cancel_ref != nullptr) napi_delete_reference(env, w->cancel_ref);
    if (w->work != nullptr) napi_delete_async_work(env, w->work);
    return throw_error(env, "fetchBatch: could not start the fetch");
  }
  w.release();
  return promise;
}

// release(arrayBuffers: ArrayBuffer[]): detaches each ArrayBuffer (fetchBatch's, already sent), so that V8 drops its
// memory now and the block goes back to the pool for the next batch, instead of waiting for a garbage collection.
// Anything else in the array is skipped.
napi_value release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    return throw_error(env, "release(arrayBuffers: ArrayBuffer[])");
  }
  uint32_t count = 0;
  napi_get_array_length(env, argv[0], &count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    bool is_buffer = false, detached = true;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok) continue;
    if (napi_is_arraybuffer(env, item, &is_buffer) != napi_ok || !is_buffer) continue;
    if (napi_is_detached_arraybuffer(env, item, &detached) != napi_ok || detached) continue;
    napi_detach_arraybuffer(env, item);
  }
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value abi;
  napi_create_int32(env, kAbiVersion, &abi);
  napi_property_descriptor properties[] = {
      {"init", nullptr, init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"accepts", nullptr, accepts, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"startPump", nullptr, start_pump, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stopPump", nullptr, stop_pump, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fetchBatch", nullptr, fetch_batch, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abiVersion", nullptr, nullptr, nullptr, nullptr, abi, napi_default, nullptr},
      {"release", nullptr, release, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}
