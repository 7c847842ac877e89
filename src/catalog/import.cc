#include "catalog/import.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <mutex>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "base/scheduler.h"
#include "catalog/input.h"
#include "catalog/margin.h"
#include "catalog/progress.h"
#include "catalog/properties.h"
#include "catalog/skymap.h"
#include "catalog/spill.h"
#include "parquet/writer.h"
#include "sky/healpix.h"
#include "storage/output.h"
#include "storage/file_system.h"
#include "storage/publish.h"

namespace astrolake::catalog {

namespace fs = std::filesystem;
using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;

constexpr const char* kHealpixColumn = "_healpix_29";

// ---------------------------------------------------------------------------------------
// Small helpers

uint64_t parse_byte_size(const std::string& text) {
  std::string s;
  for (char c : text)
    if (c != ' ') s += c;
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == 'e' ||
                          s[i] == 'E' || s[i] == '+'))
    ++i;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + i, v);
  if (i == 0 || r.ec != std::errc() || r.ptr != s.data() + i || !(v >= 0))
    throw std::invalid_argument("bad byte size '" + text + "'");
  std::string unit = s.substr(i);
  for (char& c : unit) c = char(std::tolower(static_cast<unsigned char>(c)));
  double mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tb" || unit == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else throw std::invalid_argument("bad byte size unit in '" + text + "' (use k, M, G or T)");
  // 2^64 bytes and up do not fit (and converting them to uint64_t is undefined): refuse.
  if (!(v * mult < 18446744073709551616.0)) throw std::invalid_argument("byte size '" + text + "' is too large");
  return uint64_t(v * mult);
}

namespace {

std::string fmt_number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string column_list(const std::vector<Field>& fields) {
  std::string s;
  for (const auto& f : fields) s += (s.empty() ? "" : ", ") + f.name;
  return s;
}

// Reads column `name` of a chunk as degrees, validating every row. Row numbers in messages
// are 1-based data rows of the input file.
void coordinates(const Table& t, int col, const std::string& file, int64_t first_row, bool is_ra,
                 std::vector<double>& out) {
  const Column& c = t.columns[size_t(col)];
  const char* what = is_ra ? "RA" : "Dec";
  auto where = [&](size_t i) {
    return file + ": row " + std::to_string(first_row + int64_t(i) + 1) + ": " + what + " (column '" + c.field.name + "')";
  };
  if (c.field.list) throw InputError(file + ": " + what + " column '" + c.field.name + "' holds lists, not numbers");
  size_t n = t.rows();
  out.resize(n);
  Type ty = c.field.type;
  if (ty == Type::String || ty == Type::Binary) {
    for (size_t i = 0; i < n; ++i) {
      if (c.is_null(i)) throw InputError(where(i) + " is empty");
      std::string_view s = c.string_at(i);
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      if (!s.empty() && s.front() == '+') s.remove_prefix(1);
      auto r = std::from_chars(s.data(), s.data() + s.size(), out[i]);
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
        throw InputError(where(i) + " value '" + std::string(c.string_at(i).substr(0, 60)) + "' is not a number");
    }
  } else if (parquet::is_integer(ty) || parquet::is_floating(ty)) {
    for (size_t i = 0; i < n; ++i) {
      if (c.value_is_null(i)) throw InputError(where(i) + " is null");
      out[i] = c.as_double(i);
    }
  } else {
    throw InputError(file + ": " + what + " column '" + c.field.name + "' has type " + parquet::type_name(ty) +
                     ", not a number");
  }
  for (size_t i = 0; i < n; ++i) {
    double v = out[i];
    bool ok = is_ra ? (std::isfinite(v) && v >= -360.0 && v < 720.0) : (v >= -90.0 && v <= 90.0);
    if (!ok)
      throw InputError(where(i) + " = " + fmt_number(v) + (is_ra ? " is outside [-360, 720)" : " is outside [-90, 90]"));
  }
}

// Row counts per pixel. Dense at the requested order when that array fits an eighth of the
// budget (fast, no sorting); otherwise a sorted sparse list merged chunk by chunk, which is
// coarsened one order at a time if it outgrows that share, so huge all-sky inputs under a
// small budget still import (their partitions then stop at the coarsened order).
class Histogram {
 public:
  Histogram(int order, uint64_t budget) : order_(order), cap_(budget / 8) {
    uint64_t npix = 12ull << (2 * order);
    dense_ = npix * 8 <= cap_;
    if (dense_) d_.assign(npix, 0);
  }
  int order() const { return order_; }
  size_t bytes() const { return dense_ ? d_.size() * 8 : s_.capacity() * sizeof(PixelCount); }
  // Adds order-29 indices.
  void add(const std::vector<int64_t>& h29) {
    int shift = 2 * (sky::kMaxOrder - order_);
    if (dense_) {
      for (int64_t h : h29) ++d_[size_t(h >> shift)];
      return;
    }
    std::vector<int64_t> pix(h29.size());
    for (size_t i = 0; i < h29.size(); ++i) pix[i] = h29[i] >> shift;
    std::sort(pix.begin(), pix.end());
    std::vector<PixelCount> merged;
    merged.reserve(s_.size() + pix.size());
    size_t a = 0, b = 0;
    while (a < s_.size() || b < pix.size()) {
      if (b == pix.size() || (a < s_.size() && s_[a].pixel < pix[b])) {
        merged.push_back(s_[a++]);
        continue;
      }
      int64_t p = pix[b], n = 0;
      while (b < pix.size() && pix[b] == p) ++b, ++n;
      if (a < s_.size() && s_[a].pixel == p) n += s_[a++].count;
      merged.push_back({p, n});
    }
    s_.swap(merged);
    while (s_.size() * sizeof(PixelCount) * 2 > cap_ && order_ > 0) coarsen();
    s_.shrink_to_fit();
  }
  std::vector<PixelCount> sorted() const {
    if (!dense_) return s_;
    std::vector<PixelCount> out;
    for (size_t i = 0; i < d_.size(); ++i)
      if (d_[i]) out.push_back({int64_t(i), d_[i]});
    return out;
  }

 private:
  void coarsen() {
    size_t w = 0;
    for (size_t i = 0; i < s_.size(); ++i) {
      int64_t p = s_[i].pixel >> 2;
      if (w > 0 && s_[w - 1].pixel == p) s_[w - 1].count += s_[i].count;
      else s_[w++] = {p, s_[i].count};
    }
    s_.resize(w);
    --order_;
  }
  int order_;
  uint64_t cap_;
  bool dense_;
  std::vector<int64_t> d_;
  std::vector<PixelCount> s_;
};

// Removes a directory tree unless released; the importer's guarantee that a failed or
// cancelled build leaves nothing behind.
// The files whose presence makes a directory a catalog: written last when publishing.
const std::vector<std::string> kCommitFiles = {"properties", "hats.properties", "collection.properties"};

// Copies the object at `url` into directory `dir` (as N-name, N counting the inputs copied,
// so two inputs of the same name stay apart); returns the local path. Read in 8 MiB pieces.
std::string download_input(const std::string& url, const std::string& dir) {
  static std::atomic<int> seq{0};
  std::shared_ptr<storage::ByteSource> src;
  try {
    src = storage::open(url);
  } catch (const storage::IoError& e) {
    throw InputError(e.what());  // names the URL and the server's error
  }
  std::string name = storage::base_name(url);
  auto q = name.find('?');
  if (q != std::string::npos) name.erase(q);
  std::string path = dir + "/" + std::to_string(seq++) + "-" + (name.empty() ? "input" : name);
  auto out = storage::local_file_system()->create(path);
  std::vector<uint8_t> buf;
  constexpr uint64_t kPiece = 8 << 20;
  for (uint64_t at = 0; at < src->size(); at += kPiece) {
    buf.resize(size_t(std::min(kPiece, src->size() - at)));
    src->read(at, buf);
    out->append(buf);
  }
  out->commit();
  return path;
}

class DirGuard {
 public:
  explicit DirGuard(std::string dir) : dir_(std::move(dir)) {}
  ~DirGuard() {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  void release() { dir_.clear(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

std::string format_size(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1 << 20));
  return buf;
}

// Budget-aware admission for parallel partition work: a task is started only once its
// estimated memory fits what is left. The budget is hard: a partition whose estimate exceeds the whole
// share fails the import with an error naming the budget, rather than running anyway.
class MemoryGate {
 public:
  MemoryGate(uint64_t capacity, uint64_t budget) : cap_(capacity), budget_(budget) {}
  void acquire(uint64_t n) {
    if (n > cap_)
      throw std::runtime_error("import: a partition needs about " + format_size(n) +
                               " to sort and write, more than the memory budget of " + format_size(budget_) +
                               " allows; raise --memory-budget, or lower --max-rows (raising --highest-order if rows are dense)");
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return used_ + n <= cap_; });
    used_ += n;
  }
  void release(uint64_t n) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      used_ -= n;
    }
    cv_.notify_all();
  }

 private:
  uint64_t cap_, budget_, used_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
};

// Holds n bytes of a MemoryGate for a scope and gives them back on every exit, exceptions included.
class Reservation {
 public:
  Reservation(MemoryGate& gate, uint64_t n) : gate_(gate), n_(n) { gate_.acquire(n_); }
  ~Reservation() { gate_.release(n_); }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;

 private:
  MemoryGate& gate_;
  uint64_t n_;
};

uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string utc_now(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

double sky_fraction(const std::vector<PixelId>& pixels) {
  double f = 0;
  for (const auto& p : pixels) f += 1.0 / (12.0 * double(int64_t(1) << (2 * p.order)));
  return f;
}

std::string fraction_text(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5f", f);
  return buf;
}

// With ASTROLAKE_DEBUG_MEMORY set, prints the resident and peak memory after each pass (for
// tuning the budget shares).
void debug_memory(const char* stage) {
  static const bool on = std::getenv("ASTROLAKE_DEBUG_MEMORY") != nullptr;
  if (!on) return;
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return;
  char line[256];
  std::string out;
  while (std::fgets(line, sizeof line, f))
    if (!std::strncmp(line, "VmRSS:", 6) || !std::strncmp(line, "VmHWM:", 6)) out += std::string(line, std::strlen(line) - 1) + " ";
  std::fclose(f);
  static const auto t0 = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "[memory] %-10s %s t=%.2fs\n", stage, out.c_str(), secs);
  // Reset the peak so the next line shows that stage's own peak.
  if (FILE* c = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", c);
    std::fclose(c);
  }
}

std::string last_component(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return fs::path(p).filename().string();
}

// Sorts a partition's rows by _healpix_29 (column 0), keeping input order among equal keys.
Table sort_by_healpix(const Table& t) {
  size_t n = t.rows();
  const int64_t* h = t.columns[0].values_as<int64_t>();
  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  std::stable_sort(idx.begin(), idx.end(), [h](uint32_t a, uint32_t b) { return h[a] < h[b]; });
  Table out;
  for (const auto& c : t.columns) out.columns.emplace_back(c.field);
  append_rows(out, t, idx.data(), n);
  return out;
}

parquet::WriteOptions leaf_options() {
  parquet::WriteOptions w;
  w.codec = parquet::Codec::Zstd;
  w.zstd_level = 3;
  // 32Ki rows: a cone search decodes whole row groups (a column chunk of the healpix
  // index first, the others only where it has candidates), so smaller groups cut the
  // bytes per cone ~4x against 128Ki. Scans pay only a little more per-chunk overhead
  // (measured with bench/scan_sum, docs/benchmarks.md); older catalogs read the same.
  w.row_group_rows = 32 * 1024;
  return w;
}

// Peak memory of building one leaf, in multiples of its spill size: the mapped spill, the
// decoded rows, the sorted copy and the Parquet writer's pages and dictionaries (measured
// with ASTROLAKE_DEBUG_MEMORY on wide and narrow tables; keep it conservative).
constexpr uint64_t kWriteCostFactor = 8;

// Returns freed heap to the system between big steps: glibc keeps per-thread arenas, and
// without this the resident size of a long import only ever grows.
void trim_heap() { malloc_trim(0); }

// The import's state across passes.
class Importer {
 public:
  explicit Importer(const ImportOptions& o) : opts_(o), group_(o.threads, check_cancelled) {}

  ImportResult run();

 private:
  void open_inputs();
  void pass_histogram();
  void pass_partition();
  void pass_write();
  void pass_margin_write();
  // work(i) for i in [0, n) on the pool, each started once its estimated memory est(i) fits
  // in half the budget next to the tasks running; throws if one estimate alone exceeds it.
  void run_gated(size_t n, const std::function<uint64_t(size_t)>& est, const std::function<void(size_t)>& work);
  void write_catalog_metadata();
  void write_margin_metadata();
  std::unique_ptr<InputReader> reopen(size_t i) const { return open_input(opts_.inputs[i], in_opts_); }
  int ra_col_ = -1, dec_col_ = -1;  // in the input schema
  // Validated coordinates and _healpix_29 of one chunk.
  void chunk_coords(const Table& t, const std::string& file, int64_t first_row);
  // Throws naming the file and the first column that differs from in_schema_.
  void check_same_columns(const InputReader& in) const;
  // Int64 columns whose in_schema_ type is Double (widened across inputs) become Double.
  void widen(Table& t) const;
  std::string spill_path(int p) const { return spill_dir_ + "/p" + std::to_string(p); }
  std::string margin_spill_path(int p) const { return spill_dir_ + "/m" + std::to_string(p); }

  ImportOptions opts_;
  base::TaskGroup group_;  // this import's share of the process-wide scheduler
  InputOptions in_opts_;
  std::vector<Field> in_schema_, out_schema_;
  std::vector<int> keep_cols_;  // input columns kept (all but an existing _healpix_29)
  std::vector<double> ra_, dec_;
  std::vector<int64_t> h29_;
  int64_t total_rows_ = 0;
  std::unique_ptr<Histogram> hist_;
  int skymap_order_ = 0;
  std::vector<int64_t> skymap_;
  std::vector<PixelId> parts_;
  std::vector<int64_t> part_lo_, part_hi_;  // order-29 ranges of parts_ (sorted)
  std::vector<int64_t> part_rows_;
  std::string build_dir_, cat_dir_, margin_dir_, spill_dir_, margin_name_;
  std::unique_ptr<MarginAssigner> margin_;
  std::vector<int64_t> margin_pixel_rows_;
  std::mutex margin_mu_;
  ImportResult result_;
};

void Importer::open_inputs() {
  if (opts_.inputs.empty()) throw std::invalid_argument("import: no input files");
  {
    auto first = open_input(opts_.inputs[0], in_opts_);
    in_schema_ = first->schema();
  }
  // Every input is opened once up front (CSV: header and type sample), so that a file whose
  // columns differ fails before hours of work on the others.
  // A column that is integer in some CSV files and floating point in others is read as
  // double from all of them.
  for (size_t i = 1; i < opts_.inputs.size(); ++i) {
    auto in = open_input(opts_.inputs[i], in_opts_);
    const auto& s = in->schema();
    for (size_t c = 0; c < std::min(s.size(), in_schema_.size()); ++c)
      if (s[c].name == in_schema_[c].name && !s[c].list && !in_schema_[c].list && s[c].type == Type::Double &&
          in_schema_[c].type == Type::Int64)
        in_schema_[c].type = Type::Double;
  }
  for (size_t i = 1; i < opts_.inputs.size(); ++i) check_same_columns(*open_input(opts_.inputs[i], in_opts_));
  auto find = [&](const std::string& name) {
    for (size_t i = 0; i < in_schema_.size(); ++i)
      if (in_schema_[i].name == name) return int(i);
    return -1;
  };
  ra_col_ = find(opts_.ra_column);
  dec_col_ = find(opts_.dec_column);
  for (auto [col, name, what] : {std::tuple{ra_col_, opts_.ra_column, "RA"}, std::tuple{dec_col_, opts_.dec_column, "Dec"}})
    if (col < 0)
      throw InputError(opts_.inputs[0] + ": no " + what + " column '" + name + "' (columns: " + column_list(in_schema_) +
                       ")");
  Field h;
  h.name = kHealpixColumn;
  h.type = Type::Int64;
  h.nullable = false;
  out_schema_.push_back(h);
  for (size_t i = 0; i < in_schema_.size(); ++i) {
    if (in_schema_[i].name == kHealpixColumn) continue;  // recomputed, as hats-import does
    keep_cols_.push_back(int(i));
    out_schema_.push_back(in_schema_[i]);
  }
  // Rows per chunk: about 1/16 of the budget of decoded row data per chunk.
  uint64_t row_bytes = 16;
  for (const auto& f : in_schema_) row_bytes += f.list ? 64 : (parquet::type_width(f.type) ? 9 : 40);
  int64_t rows = int64_t(opts_.memory_budget / 16 / row_bytes);
  in_opts_.chunk_rows = std::clamp<int64_t>(rows, 1024, opts_.chunk_rows);
  in_opts_.threads = group_.concurrency();
}

// An int64 input column read into a double output column.
bool widens(const Field& in, const Field& out) {
  return !in.list && !out.list && in.type == Type::Int64 && out.type == Type::Double;
}

void Importer::widen(Table& t) const {
  for (size_t c = 0; c < t.columns.size() && c < in_schema_.size(); ++c) {
    Column& col = t.columns[c];
    if (!widens(col.field, in_schema_[c])) continue;
    for (size_t i = 0; i < col.rows(); ++i) {
      int64_t v;
      std::memcpy(&v, col.data.data() + 8 * i, 8);
      double d = double(v);
      std::memcpy(col.data.data() + 8 * i, &d, 8);
    }
    col.field.type = Type::Double;
  }
}

void Importer::check_same_columns(const InputReader& in) const {
  const auto& s = in.schema();
  auto type = [](const Field& f) { return std::string(f.list ? "list of " : "") + parquet::type_name(f.type); };
  for (size_t c = 0; c < std::max(s.size(), in_schema_.size()); ++c) {
    std::string diff;
    if (c >= s.size()) diff = "lacks column '" + in_schema_[c].name + "'";
    else if (c >= in_schema_.size()) diff = "has an extra column '" + s[c].name + "'";
    else if (s[c].name != in_schema_[c].name)
      diff = "has column '" + s[c].name + "' where " + opts_.inputs[0] + " has '" + in_schema_[c].name + "'";
    else if (widens(s[c], in_schema_[c]))
      continue;
    else if (s[c].type != in_schema_[c].type || s[c].list != in_schema_[c].list)
      diff = "has column '" + s[c].name + "' as " + type(s[c]) + " but " + opts_.inputs[0] + " has it as " +
             type(in_schema_[c]) + (in.path().ends_with(".csv") ? " (CSV types are inferred per file from its first rows)" : "");
    if (!diff.empty())
      throw InputError(in.path() + " " + diff + "; every input must have the same columns (" + column_list(in_schema_) +
                       ") of the same types");
  }
}

void Importer::chunk_coords(const Table& t, const std::string& file, int64_t first_row) {
  int ra = ra_col_, dec = dec_col_;
  if (t.columns.size() != in_schema_.size()) {  // only RA and Dec were read, in schema order
    ra = ra_col_ <= dec_col_ ? 0 : 1;
    dec = ra_col_ == dec_col_ ? 0 : 1 - ra;
  }
  coordinates(t, ra, file, first_row, true, ra_);
  coordinates(t, dec, file, first_row, false, dec_);
  size_t n = t.rows();
  h29_.resize(n);
  group_.parallel_for(n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) h29_[i] = sky::healpix29(ra_[i], dec_[i]);
  });
}

void Importer::pass_histogram() {
  hist_ = std::make_unique<Histogram>(opts_.highest_order, opts_.memory_budget);
  int64_t known = 0;
  Progress prog("scan", -1, opts_.progress);
  // The histogram needs only RA and Dec: a CSV input parses just those two columns (values of
  // the others are checked when pass 2 reads them). Other formats return every column.
  InputOptions coords = in_opts_;
  coords.only = {std::min(ra_col_, dec_col_)};
  if (dec_col_ != ra_col_) coords.only.push_back(std::max(ra_col_, dec_col_));
  for (size_t i = 0; i < opts_.inputs.size(); ++i) {
    auto in = open_input(opts_.inputs[i], coords);
    check_same_columns(*in);
    if (in->total_rows() >= 0) known += in->total_rows();
    Table t;
    while (in->next(t)) {
      check_cancelled();
      chunk_coords(t, in->path(), in->chunk_start());
      hist_->add(h29_);
      total_rows_ += int64_t(t.rows());
      prog.add(int64_t(t.rows()));
    }
  }
  prog.finish();
  if (total_rows_ == 0) throw InputError("import: the inputs hold no rows");
}

}  // namespace

std::vector<PixelId> plan_partitions(const std::vector<PixelCount>& hist, int order, int64_t threshold,
                                     int lowest_order, bool drop_empty_siblings) {
  if (order < 0 || order > sky::kMaxOrder) throw std::invalid_argument("highest order must be in 0..29");
  if (lowest_order < 0 || lowest_order > order) throw std::invalid_argument("lowest order must be in 0..highest order");
  if (threshold <= 0) throw std::invalid_argument("max rows per partition must be positive");
  std::vector<int64_t> pre(hist.size() + 1, 0);
  for (size_t i = 0; i < hist.size(); ++i) pre[i + 1] = pre[i] + hist[i].count;
  std::vector<PixelId> out;
  auto first_at_or_after = [&](int64_t pix) {
    return size_t(std::lower_bound(hist.begin(), hist.end(), pix,
                                   [](const PixelCount& a, int64_t v) { return a.pixel < v; }) -
                  hist.begin());
  };
  std::function<void(int, int64_t, size_t, size_t)> visit = [&](int o, int64_t p, size_t b, size_t e) {
    if (b == e) return;  // empty pixels are dropped
    int64_t sum = pre[e] - pre[b];
    bool take;
    if (o == order) {
      if (sum > threshold)
        throw std::runtime_error("pixel " + std::to_string(o) + "/" + std::to_string(p) + " alone holds " +
                                 std::to_string(sum) + " rows, more than the partition limit " +
                                 std::to_string(threshold) + "; raise --highest-order or --max-rows");
      take = true;
    } else if (o < lowest_order || sum > threshold) {
      take = false;
    } else if (!drop_empty_siblings) {
      take = true;
    } else {
      // hats: collapse only if more than one child holds rows.
      int shift = 2 * (order - o - 1);
      int nonempty = 0;
      for (int c = 0; c < 4; ++c) {
        size_t cb = first_at_or_after((p * 4 + c) << shift), ce = first_at_or_after((p * 4 + c + 1) << shift);
        if (ce > cb) ++nonempty;
      }
      take = nonempty > 1;
    }
    if (take) {
      out.push_back({o, p});
      return;
    }
    int shift = 2 * (order - o - 1);
    for (int c = 0; c < 4; ++c) {
      int64_t child = p * 4 + c;
      size_t cb = std::max(b, first_at_or_after(child << shift));
      size_t ce = std::min(e, first_at_or_after((child + 1) << shift));
      if (cb < ce) visit(o + 1, child, cb, ce);
    }
  };
  int top_shift = 2 * order;
  for (int64_t p = 0; p < 12; ++p) visit(0, p, first_at_or_after(p << top_shift), first_at_or_after((p + 1) << top_shift));
  return out;
}

namespace {

void Importer::pass_partition() {
  Progress prog("partition", total_rows_, opts_.progress);
  size_t np = parts_.size();
  std::vector<Table> buffers(np);
  std::vector<size_t> buffered(np, 0);
  size_t total_buffered = 0;
  // A quarter of the budget for buffered rows (their buffers may have twice the capacity
  // they use), less what a chunk takes.
  uint64_t chunk_guess = uint64_t(in_opts_.chunk_rows) * 64;
  int64_t share = int64_t(opts_.memory_budget / 4) - int64_t(2 * chunk_guess);
  size_t spill_limit = size_t(std::max<int64_t>(share, 1 << 20));
  auto flush = [&](size_t p) {
    if (buffered[p] == 0) return;
    spill_append(spill_path(int(p)), buffers[p]);
    total_buffered -= buffered[p];
    buffered[p] = 0;
    buffers[p] = Table();
  };
  std::vector<int> part_of;
  std::vector<uint32_t> order;
  std::vector<size_t> start(np + 1);
  for (size_t i = 0; i < opts_.inputs.size(); ++i) {
    auto in = reopen(i);
    Table t;
    while (in->next(t)) {
      check_cancelled();
      widen(t);
      chunk_coords(t, in->path(), in->chunk_start());
      size_t n = t.rows();
      // Chunk with the output layout: _healpix_29 first, then the kept input columns.
      Table c;
      Column h(out_schema_[0]);
      h.data.append(h29_.data(), n * 8);
      c.columns.push_back(std::move(h));
      for (int k : keep_cols_) c.columns.push_back(std::move(t.columns[size_t(k)]));
      part_of.resize(n);
      group_.parallel_for(n, [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
          auto it = std::upper_bound(part_lo_.begin(), part_lo_.end(), h29_[r]);
          part_of[r] = int(it - part_lo_.begin()) - 1;
        }
      });
      // Counting sort of the rows by partition, then one gather per partition.
      std::fill(start.begin(), start.end(), 0);
      for (size_t r = 0; r < n; ++r) ++start[size_t(part_of[r]) + 1];
      for (size_t p = 0; p < np; ++p) start[p + 1] += start[p];
      order.resize(n);
      std::vector<size_t> pos(start.begin(), start.end() - 1);
      for (size_t r = 0; r < n; ++r) order[pos[size_t(part_of[r])]++] = uint32_t(r);
      for (size_t p = 0; p < np; ++p) {
        size_t cnt = start[p + 1] - start[p];
        if (cnt == 0) continue;
        if (buffers[p].columns.empty()) buffers[p] = empty_table(out_schema_);
        append_rows(buffers[p], c, order.data() + start[p], cnt);
        size_t b = table_bytes(buffers[p]);
        total_buffered += b - buffered[p];
        buffered[p] = b;
        part_rows_[p] += int64_t(cnt);
      }
      prog.add(int64_t(n));
      if (total_buffered > spill_limit) {
        // Flush the biggest buffers first until half the share is free: few, large writes.
        std::vector<size_t> by_size(np);
        std::iota(by_size.begin(), by_size.end(), size_t(0));
        std::sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) { return buffered[a] > buffered[b]; });
        for (size_t p : by_size) {
          if (total_buffered <= spill_limit / 2) break;
          flush(p);
        }
      }
    }
  }
  for (size_t p = 0; p < np; ++p) flush(p);
  prog.finish();
}

void Importer::run_gated(size_t n, const std::function<uint64_t(size_t)>& est,
                         const std::function<void(size_t)>& work) {
  MemoryGate gate(opts_.memory_budget / 2, opts_.memory_budget);
  try {
    for (size_t i = 0; i < n; ++i) {
      check_cancelled();
      // Waits here, on the importing thread, so no worker of the shared pool blocks on the gate.
      auto hold = std::make_shared<Reservation>(gate, est(i));
      group_.run([hold, &work, i] { work(i); });  // the share goes back with the task's closure
    }
  } catch (...) {
    try {
      group_.wait();  // tasks use the gate and the caller's state: they end before those go
    } catch (...) {
    }
    throw;
  }
  group_.wait();
}

void Importer::pass_write() {
  Progress prog("write", total_rows_, opts_.progress);
  std::string dataset = cat_dir_ + "/dataset";
  int ra_out = -1, dec_out = -1;
  for (size_t i = 0; i < out_schema_.size(); ++i) {
    if (out_schema_[i].name == opts_.ra_column) ra_out = int(i);
    if (out_schema_[i].name == opts_.dec_column) dec_out = int(i);
  }
  auto est = [&](size_t p) { return kWriteCostFactor * uint64_t(fs::file_size(spill_path(int(p)))) + (1 << 20); };
  run_gated(parts_.size(), est, [&](size_t p) {
    check_cancelled();
    std::string sp = spill_path(int(p));
    {  // the partition's tables are freed before the heap is trimmed
      Table sorted;
      {
        Table t = spill_read(sp, out_schema_);
        fs::remove(sp);
        sorted = sort_by_healpix(t);
      }
      const PixelId& px = parts_[p];
      std::string path = pixel_path(dataset, px.order, px.pixel);
      fs::create_directories(fs::path(path).parent_path());
      parquet::write_table(path, sorted, leaf_options());
      if (margin_) {
        std::vector<double> ra, dec;
        coordinates(sorted, ra_out, path, 0, true, ra);
        coordinates(sorted, dec_out, path, 0, false, dec);
        std::unordered_map<int, std::vector<uint32_t>> rows_of;
        std::vector<int> hits;
        for (size_t r = 0; r < sorted.rows(); ++r) {
          hits.clear();
          margin_->assign(ra[r], dec[r], hits);
          for (int m : hits) rows_of[m].push_back(uint32_t(r));
        }
        for (auto& [m, rows] : rows_of) {
          Table part = empty_table(out_schema_);
          append_rows(part, sorted, rows.data(), rows.size());
          std::lock_guard<std::mutex> lock(margin_mu_);
          spill_append(margin_spill_path(m), part);
          margin_pixel_rows_[size_t(m)] += int64_t(rows.size());
        }
      }
      prog.add(int64_t(sorted.rows()));
    }
    trim_heap();
  });
  prog.finish();
}

void Importer::pass_margin_write() {
  const auto& pixels = margin_->pixels();
  std::string dataset = margin_dir_ + "/dataset";
  std::vector<std::string> files;
  int64_t total = std::accumulate(margin_pixel_rows_.begin(), margin_pixel_rows_.end(), int64_t(0));
  Progress prog("margin", total, opts_.progress);
  std::vector<size_t> todo;
  for (size_t m = 0; m < pixels.size(); ++m)
    if (margin_pixel_rows_[m] > 0) todo.push_back(m);
  std::sort(todo.begin(), todo.end(), [&](size_t a, size_t b) {
    return healpix_to_spatial_index(pixels[a].order, pixels[a].pixel) <
           healpix_to_spatial_index(pixels[b].order, pixels[b].pixel);
  });
  auto est = [&](size_t k) {
    return kWriteCostFactor * uint64_t(fs::file_size(margin_spill_path(int(todo[k])))) + (1 << 20);
  };
  run_gated(todo.size(), est, [&](size_t k) {
    size_t m = todo[k];
    check_cancelled();
    std::string sp = margin_spill_path(int(m));
    {  // the partition's tables are freed before the heap is trimmed
      Table sorted = sort_by_healpix(spill_read(sp, out_schema_));
      fs::remove(sp);
      std::string path = pixel_path(dataset, pixels[m].order, pixels[m].pixel);
      fs::create_directories(fs::path(path).parent_path());
      parquet::WriteOptions w = leaf_options();
      parquet::write_table(path, sorted, w);
      prog.add(int64_t(sorted.rows()));
    }
    trim_heap();
  });
  prog.finish();
  for (size_t m : todo) {
    result_.margin_partitions.push_back(pixels[m]);
    result_.margin_rows += margin_pixel_rows_[m];
  }
}

// Writes _metadata/_common_metadata for a dataset; with no leaf files, schema-only files.
void write_summary_files(const std::string& dataset, const std::vector<PixelId>& pixels,
                         const std::vector<Field>& schema) {
  fs::create_directories(dataset);
  if (pixels.empty()) {
    Table empty = empty_table(schema);
    parquet::write_table(dataset + "/_common_metadata", empty, leaf_options());
    parquet::write_table(dataset + "/_metadata", empty, leaf_options());
    return;
  }
  std::vector<std::string> rel;
  for (const auto& p : pixels) rel.push_back(pixel_relative_path(p.order, p.pixel));
  parquet::write_metadata_files(dataset, rel);
}

void Importer::write_catalog_metadata() {
  write_summary_files(cat_dir_ + "/dataset", parts_, out_schema_);
  write_partition_info(cat_dir_ + "/partition_info.csv", parts_);
  write_skymap_fits(cat_dir_ + "/skymap.fits", skymap_order_, skymap_);
  skymap_ = {};
  int max_order = 0;
  for (const auto& p : parts_) max_order = std::max(max_order, p.order);
  Properties pr;
  pr.set("obs_collection", opts_.name);
  pr.set("dataproduct_type", "object");
  pr.set("hats_nrows", std::to_string(total_rows_));
  pr.set("hats_col_ra", opts_.ra_column);
  pr.set("hats_col_dec", opts_.dec_column);
  pr.set("hats_col_healpix", kHealpixColumn);
  pr.set("hats_col_healpix_order", "29");
  pr.set("hats_npix_suffix", ".parquet");
  pr.set("hats_skymap_order", std::to_string(skymap_order_));
  pr.set("hats_builder", std::string("astrolake ") + kAstrolakeVersion);
  pr.set("hats_creation_date", utc_now("%Y-%m-%dT%H:%MUTC"));
  pr.set("hats_estsize", std::to_string((dir_bytes(cat_dir_) + 1023) / 1024));
  pr.set("hats_release_date", utc_now("%Y-%m-%d"));
  pr.set("hats_version", "v1.0");
  pr.set("hats_max_rows", std::to_string(opts_.max_rows));
  pr.set("hats_order", std::to_string(max_order));
  pr.set("moc_sky_fraction", fraction_text(sky_fraction(parts_)));
  pr.write(cat_dir_ + "/hats.properties", "HATS catalog");
}

void Importer::write_margin_metadata() {
  const auto& mp = result_.margin_partitions;
  write_summary_files(margin_dir_ + "/dataset", mp, out_schema_);
  write_partition_info(margin_dir_ + "/partition_info.csv", mp);
  int max_order = 0;
  for (const auto& p : mp) max_order = std::max(max_order, p.order);
  Properties pr;
  pr.set("obs_collection", margin_name_);
  pr.set("dataproduct_type", "margin");
  pr.set("hats_nrows", std::to_string(result_.margin_rows));
  pr.set("hats_col_ra", opts_.ra_column);
  pr.set("hats_col_dec", opts_.dec_column);
  pr.set("hats_col_healpix", kHealpixColumn);
  pr.set("hats_col_healpix_order", "29");
  pr.set("hats_primary_table_url", opts_.name);
  pr.set("hats_margin_threshold", fmt_number(opts_.margin_arcsec));
  pr.set("hats_npix_suffix", ".parquet");
  pr.set("hats_order", std::to_string(max_order));
  pr.set("moc_sky_fraction", fraction_text(sky_fraction(mp)));
  pr.set("hats_builder", std::string("astrolake ") + kAstrolakeVersion);
  pr.set("hats_creation_date", utc_now("%Y-%m-%dT%H:%MUTC"));
  pr.set("hats_estsize", std::to_string((dir_bytes(margin_dir_) + 1023) / 1024));
  pr.set("hats_release_date", utc_now("%Y-%m-%d"));
  pr.set("hats_version", "v1.0");
  pr.write(margin_dir_ + "/hats.properties", "HATS catalog");

  Properties col;
  col.set("obs_collection", opts_.name);
  col.set("hats_primary_table_url", opts_.name);
  col.set("all_margins", margin_name_);
  col.set("default_margin", margin_name_);
  col.set("hats_builder", std::string("astrolake ") + kAstrolakeVersion);
  col.set("hats_creation_date", utc_now("%Y-%m-%dT%H:%MUTC"));
  col.set("hats_estsize", std::to_string((dir_bytes(build_dir_) + 1023) / 1024));
  col.set("hats_release_date", utc_now("%Y-%m-%d"));
  col.set("hats_version", "v1.0");
  col.write(build_dir_ + "/collection.properties", "HATS Collection");
}

ImportResult Importer::run() {
  if (opts_.output.empty()) throw std::invalid_argument("import: no output directory");
  std::string out = opts_.output;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (opts_.name.empty()) opts_.name = last_component(out);
  // An s3:// destination: the catalog is built in a local staging directory exactly as for a
  // local output, then published (data objects first, properties last).
  std::string remote;
  std::optional<DirGuard> staging_guard;
  if (storage::is_url(out)) {
    if (out.rfind("s3://", 0) != 0)
      throw std::invalid_argument(out + ": cannot write over HTTP (write to s3:// or a local directory)");
    if (storage::is_published(out, kCommitFiles) && !opts_.overwrite)
      throw std::runtime_error(out + " already exists (use --overwrite to replace it)");
    remote = out;
    std::string staging = (fs::temp_directory_path() / ("astrolake-import-" + std::to_string(::getpid()) + "-" +
                                                         std::to_string(std::chrono::steady_clock::now()
                                                                            .time_since_epoch()
                                                                            .count())))
                              .string();
    fs::create_directories(staging);
    staging_guard.emplace(staging);
    out = staging + "/" + opts_.name;
  }
  // Never replaced: a symlink (output_target throws), a pipe or a device.
  if (remote.empty() && storage::output_target(out) == storage::TargetKind::Stream)
    throw std::invalid_argument(out + ": is a pipe or device; a catalog is a directory");
  if (fs::exists(out) && !opts_.overwrite)
    throw std::runtime_error(out + " already exists (use --overwrite to replace it)");
  if (opts_.highest_order < 0 || opts_.highest_order > 19)
    throw std::invalid_argument("--highest-order must be in 0..19");
  if (opts_.margin_arcsec < 0 || !std::isfinite(opts_.margin_arcsec))
    throw std::invalid_argument("--margin-arcsec must be a positive number");
  // Inputs named by s3:// or http(s):// URL are copied through the storage layer into a local
  // directory first (the CSV and FITS readers read local files), under their own names.
  std::optional<DirGuard> inputs_guard;
  for (auto& in : opts_.inputs) {
    if (!storage::is_url(in)) continue;
    if (!inputs_guard) {
      std::string d = (fs::temp_directory_path() / ("astrolake-inputs-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
                          .string();
      fs::create_directories(d);
      inputs_guard.emplace(d);
    }
    in = download_input(in, inputs_guard->dir());
  }
  for (const auto& in : opts_.inputs)
    if (!fs::is_regular_file(in)) throw InputError(in + ": no such file");

  build_dir_ = out + ".building-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(build_dir_, ec);
  if (!fs::path(out).parent_path().empty()) fs::create_directories(fs::path(out).parent_path());
  fs::create_directories(build_dir_);
  DirGuard guard(build_dir_);
  if (opts_.margin_arcsec > 0) {
    margin_name_ = opts_.name + "_" + fmt_number(opts_.margin_arcsec) + "arcs";
    cat_dir_ = build_dir_ + "/" + opts_.name;
    margin_dir_ = build_dir_ + "/" + margin_name_;
  } else {
    cat_dir_ = build_dir_;
  }
  spill_dir_ = build_dir_ + "/_spill";
  fs::create_directories(spill_dir_);

  open_inputs();
  debug_memory("start");
  pass_histogram();
  trim_heap();
  debug_memory("histogram");
  {
    std::vector<PixelCount> counts = hist_->sorted();
    int order = hist_->order();
    hist_.reset();
    parts_ = plan_partitions(counts, order, opts_.max_rows, std::min(opts_.lowest_order, order),
                             opts_.drop_empty_siblings);
    // The skymap: counts at the histogram order, at most 10 (as hats-import writes it), but
    // at most 6 orders finer than the finest partition and small for the budget: an order-10
    // map is 100 MB, absurd beside a catalog of a few order-1 partitions.
    int finest = 0;
    for (const auto& p : parts_) finest = std::max(finest, p.order);
    skymap_order_ = std::min({order, 10, finest + 6});
    while (skymap_order_ > 0 && (12ull << (2 * skymap_order_)) * 8 > opts_.memory_budget / 16) --skymap_order_;
    skymap_.assign(size_t(12) << (2 * skymap_order_), 0);
    for (const auto& pc : counts) skymap_[size_t(pc.pixel >> (2 * (order - skymap_order_)))] += pc.count;
  }
  for (const auto& p : parts_) {
    part_lo_.push_back(healpix_to_spatial_index(p.order, p.pixel));
    part_hi_.push_back(healpix_to_spatial_index(p.order, p.pixel + 1));
  }
  part_rows_.assign(parts_.size(), 0);
  pass_partition();
  trim_heap();
  debug_memory("partition");
  if (opts_.margin_arcsec > 0) {
    margin_ = std::make_unique<MarginAssigner>(parts_, opts_.margin_arcsec);
    margin_pixel_rows_.assign(margin_->pixels().size(), 0);
  }
  pass_write();
  debug_memory("write");
  if (margin_) pass_margin_write();
  check_cancelled();
  fs::remove_all(spill_dir_);
  write_catalog_metadata();
  if (margin_) write_margin_metadata();

  // Publish: swap the finished build into place.
  check_cancelled();
  std::string old;
  if (fs::exists(out)) {
    if (!opts_.overwrite) throw std::runtime_error(out + " appeared during the import; not replacing it");
    old = out + ".replaced-" + std::to_string(::getpid());
    fs::rename(out, old);
  }
  fs::rename(build_dir_, out);
  guard.release();
  if (!old.empty()) fs::remove_all(old, ec);
  fsync_dir(fs::path(out).parent_path().empty() ? "." : fs::path(out).parent_path().string());

  if (!remote.empty()) {
    storage::publish_tree(out, remote, kCommitFiles, opts_.overwrite);
    out = remote;
  }
  result_.catalog_dir = margin_ ? out + "/" + opts_.name : out;
  if (margin_) result_.margin_dir = out + "/" + margin_name_;
  result_.rows = total_rows_;
  result_.partitions = parts_;
  result_.partition_rows = part_rows_;
  return result_;
}

}  // namespace

ImportResult import_catalog(const ImportOptions& opts) {
  Importer imp(opts);
  return imp.run();
}

}  // namespace astrolake::catalog
