// Dimming-star search over a synthetic ZTF catalog (`astrolake generate ztf`), and the array
// exporter that lets numpy run the same search (bench/dipsearch.py) and the Python tests check
// the light-curve functions.
//
//   dipsearch run FILE.parquet [--threads T] [--nsigma N] [--min-points K] [--grid]
//       Decodes every row group (timed separately), then times the detector alone over the
//       decoded batches on 1 thread and on T threads (one task per row group). Prints
//       precision/recall against the is_dipper truth and one JSON line with the rates.
//   dipsearch export (FILE.parquet | --generate ROWS --seed S) --dir DIR [--functions]
//       Writes offsets/mjd/mag/magerr/band/is_dipper (+ our detector's answers) as .npy;
//       with --functions also every lc_*/dip_* test expression evaluated through the engine.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

#include "catalog/synthetic.h"
#include "engine/column_ops.h"
#include "engine/expr.h"
#include "engine/lightcurve.h"
#include "parquet/reader.h"

using namespace astrolake;
using engine::Dip;
using engine::DipParams;
using parquet::Column;
using parquet::Table;

namespace {

// CPU seconds of the calling thread: on a shared machine, wall time measures the neighbours.
double thread_cpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

const std::vector<std::string> kColumns = {"mjd", "mag", "magerr", "band", "is_dipper"};

// --- .npy writer (format 1.0), atomic: temp name, fsync, rename -----------------------------
void write_npy(const std::string& path, const char* descr, const void* data, size_t count, size_t width) {
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" +
                       std::to_string(count) + ",), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string pre = "\x93NUMPY";
  pre += char(1), pre += char(0);
  uint16_t hl = uint16_t(header.size());
  pre.append(reinterpret_cast<const char*>(&hl), 2);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp);
  auto put = [&](const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n) {
      ssize_t w = ::write(fd, c, n);
      if (w <= 0) throw std::runtime_error("write failed: " + tmp);
      c += w, n -= size_t(w);
    }
  };
  put(pre.data(), pre.size());
  put(header.data(), header.size());
  put(data, count * width);
  ::fsync(fd);
  ::close(fd);
  std::filesystem::rename(tmp, path);
}

void write_f8(const std::string& p, const std::vector<double>& v) { write_npy(p, "<f8", v.data(), v.size(), 8); }

// A column's per-row results as doubles, NaN for NULL.
std::vector<double> as_f8(const Column& c) {
  std::vector<double> v = engine::column_f64(c);
  for (size_t i = 0; i < v.size(); i++)
    if (c.value_is_null(i)) v[i] = NAN;
  return v;
}

// Concatenates batches into one table (export only; the benchmark keeps batches apart).
Table load(const std::string& file, int64_t generate, uint64_t seed) {
  if (generate > 0) return catalog::ztf_rows(seed, 0, generate);
  auto r = parquet::FileReader::open(file);
  std::vector<std::string> cols = kColumns;
  for (const char* c : {"dip_depth", "dip_start_mjd", "dip_duration_days"}) cols.push_back(c);
  return r->read(cols);
}

struct Counts {
  int64_t tp = 0, fp = 0, fn = 0, rows = 0;
  double cpu_s = 0;  // summed thread CPU time of the detection
  void add(const Counts& o) { tp += o.tp, fp += o.fp, fn += o.fn, rows += o.rows, cpu_s += o.cpu_s; }
  double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 1.0; }
  double recall() const { return tp + fn ? double(tp) / double(tp + fn) : 1.0; }
};

Counts detect(const Table& t, const DipParams& p, engine::DipScratch& s) {
  engine::DipFinder f(t.col("mjd"), t.col("mag"), t.col("magerr"), &t.col("band"));
  const Column& truth = t.col("is_dipper");
  Counts c;
  c.rows = int64_t(f.rows());
  for (size_t r = 0; r < f.rows(); r++) {
    bool found = f.find(r, p, s).npoints > 0;
    bool real = truth.values_as<uint8_t>()[r] != 0;
    c.tp += found && real, c.fp += found && !real, c.fn += !found && real;
  }
  return c;
}

// One task per batch over `threads` threads; returns the summed counts.
Counts detect_all(const std::vector<Table>& batches, const DipParams& p, unsigned threads) {
  std::atomic<size_t> next{0};
  std::vector<Counts> per(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; t++)
    pool.emplace_back([&, t] {
      engine::DipScratch s;
      double c0 = thread_cpu();
      for (size_t i; (i = next++) < batches.size();) per[t].add(detect(batches[i], p, s));
      per[t].cpu_s += thread_cpu() - c0;
    });
  for (auto& th : pool) th.join();
  Counts c;
  for (auto& x : per) c.add(x);
  return c;
}

int run(const std::string& file, unsigned threads, DipParams p, bool grid) {
  auto reader = parquet::FileReader::open(file);
  std::vector<Table> batches(size_t(reader->row_groups()));
  std::atomic<int> next{0};
  double t0 = now();
  {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; t++)
      pool.emplace_back([&] {
        for (int i; (i = next++) < reader->row_groups();) batches[size_t(i)] = reader->read_row_group(i, kColumns);
      });
    for (auto& th : pool) th.join();
  }
  double decode_s = now() - t0;
  int64_t rows = 0, points = 0;
  for (auto& b : batches) rows += int64_t(b.rows()), points += int64_t(b.col("mjd").values());
  if (grid) {
    for (double ns : {1.5, 2.0, 2.5, 3.0})
      for (int k : {2, 3, 4})
        for (double sig : {0.0, 5.0, 6.0, 7.0}) {
          DipParams q = p;
          q.nsigma = ns, q.min_points = k, q.min_significance = sig;
          Counts c = detect_all(batches, q, threads);
          std::printf("nsigma %.1f min_points %d min_significance %.1f: tp %lld fp %lld fn %lld precision %.4f "
                      "recall %.4f\n", ns, k, sig, (long long)c.tp, (long long)c.fp, (long long)c.fn, c.precision(),
                      c.recall());
        }
  }
  double t1 = now();
  Counts one = detect_all(batches, p, 1);
  double one_s = now() - t1;
  double t2 = now();
  Counts all = detect_all(batches, p, threads);
  double all_s = now() - t2;
  if (one.tp != all.tp || one.fp != all.fp) throw std::runtime_error("thread count changed the answer");
  std::printf("%lld objects, %lld points, %d row groups; nsigma %.2f min_points %d min_significance %.2f\n",
              (long long)rows, (long long)points, reader->row_groups(), p.nsigma, p.min_points, p.min_significance);
  std::printf("truth dippers %lld, found %lld: tp %lld fp %lld fn %lld -> precision %.4f recall %.4f\n",
              (long long)(all.tp + all.fn), (long long)(all.tp + all.fp), (long long)all.tp, (long long)all.fp,
              (long long)all.fn, all.precision(), all.recall());
  std::printf("decode %.2f s (%u threads); detector 1 thread %.2f s = %.0f rows/s; %u threads %.2f s = %.0f rows/s\n",
              decode_s, threads, one_s, double(rows) / one_s, threads, all_s, double(rows) / all_s);
  std::printf("detector CPU time: %.2f s on 1 thread, %.2f s summed over %u threads = %.0f rows per CPU second\n",
              one.cpu_s, all.cpu_s, threads, double(rows) / one.cpu_s);
  std::printf("{\"rows\": %lld, \"points\": %lld, \"decode_s\": %.4f, \"detect_1t_s\": %.4f, \"detect_nt_s\": %.4f, "
              "\"detect_cpu_s\": %.4f, \"threads\": %u, \"precision\": %.5f, \"recall\": %.5f}\n",
              (long long)rows, (long long)points, decode_s, one_s, all_s, one.cpu_s, threads, all.precision(),
              all.recall());
  return 0;
}

int export_arrays(const std::string& file, int64_t generate, uint64_t seed, const std::string& dir, bool functions,
                  DipParams p) {
  std::filesystem::create_directories(dir);
  Table t = load(file, generate, seed);
  const Column &mjd = t.col("mjd"), &mag = t.col("mag"), &err = t.col("magerr"), &band = t.col("band");
  size_t rows = t.rows();
  std::vector<int64_t> off(mjd.list_offsets.begin(), mjd.list_offsets.end());
  for (auto& o : off) o -= mjd.list_offsets[0];
  write_npy(dir + "/offsets.npy", "<i8", off.data(), off.size(), 8);
  auto elems = [&](const Column& c) {
    const double* v = c.values_as<double>() + c.list_offsets[0];
    return std::vector<double>(v, v + off.back());
  };
  write_f8(dir + "/mjd.npy", elems(mjd));
  write_f8(dir + "/mag.npy", elems(mag));
  write_f8(dir + "/magerr.npy", elems(err));
  std::vector<uint8_t> b(size_t(off.back()));
  for (size_t j = 0; j < b.size(); j++) {
    auto s = band.string_at(size_t(band.list_offsets[0]) + j);
    b[j] = s.empty() ? 0 : uint8_t(s[0]);
  }
  write_npy(dir + "/band.npy", "|u1", b.data(), b.size(), 1);
  const Column& truth = t.col("is_dipper");
  write_npy(dir + "/is_dipper.npy", "|u1", truth.values_as<uint8_t>(), rows, 1);
  if (t.find("dip_depth") >= 0)  // the injected truth (generated input only carries it when asked for)
    for (const char* c : {"dip_depth", "dip_start_mjd", "dip_duration_days"})
      write_f8(dir + "/truth_" + c + ".npy", as_f8(t.col(c)));
  // Our detector's answers, so the numpy search can be checked for agreement.
  std::vector<Dip> dips = engine::find_dips(mjd, mag, err, &band, p);
  std::vector<double> depth(rows), dur(rows), start(rows), np(rows);
  for (size_t r = 0; r < rows; r++) {
    bool f = dips[r].npoints > 0;
    depth[r] = f ? dips[r].depth : NAN, dur[r] = f ? dips[r].duration : NAN, start[r] = f ? dips[r].start_mjd : NAN;
    np[r] = dips[r].npoints;
  }
  write_f8(dir + "/cpp_dip_depth.npy", depth);
  write_f8(dir + "/cpp_dip_duration.npy", dur);
  write_f8(dir + "/cpp_dip_start.npy", start);
  write_f8(dir + "/cpp_dip_npoints.npy", np);
  if (functions) {
    using namespace engine;
    auto r_only = [](const char* c) { return call("lc_where", {col(c), col("band"), lit_str("r")}); };
    std::vector<std::pair<std::string, ExprPtr>> exprs = {
        {"lc_n", call("lc_n", {col("mag")})},
        {"lc_mean", call("lc_mean", {col("mag")})},
        {"lc_median", call("lc_median", {col("mag")})},
        {"lc_std", call("lc_std", {col("mag")})},
        {"lc_min", call("lc_min", {col("mag")})},
        {"lc_max", call("lc_max", {col("mag")})},
        {"lc_wmean", call("lc_wmean", {col("mag"), col("magerr")})},
        {"lc_chi2", call("lc_chi2", {col("mag"), col("magerr")})},
        {"lc_n_r", call("lc_n", {r_only("mag")})},
        {"lc_mean_r", call("lc_mean", {r_only("mag")})},
        {"lc_median_r", call("lc_median", {r_only("mag")})},
        {"lc_std_r", call("lc_std", {r_only("mag")})},
        {"lc_chi2_r", call("lc_chi2", {r_only("mag"), r_only("magerr")})},
        {"dip_depth", call("dip_depth", {col("mjd"), col("mag"), col("magerr"), col("band")})},
        {"dip_max_depth", call("dip_max_depth", {col("mjd"), col("mag"), col("magerr"), col("band")})},
        {"dip_duration", call("dip_duration", {col("mjd"), col("mag"), col("magerr"), col("band")})},
        {"dip_npoints", call("dip_npoints", {col("mjd"), col("mag"), col("magerr"), col("band")})},
        {"dip_start", call("dip_start", {col("mjd"), col("mag"), col("magerr"), col("band")})},
        {"dip_npoints_r_4s2", call("dip_npoints", {r_only("mjd"), r_only("mag"), r_only("magerr"), lit_double(4.0),
                                                   lit_int(2), lit_double(0)})},
        {"is_dipper", call("is_dipper", {col("mjd"), col("mag"), col("magerr"), col("band")})},
        // Loose settings find runs in most objects, so the comparison sees many real runs.
        {"dip_npoints_2s2", call("dip_npoints", {col("mjd"), col("mag"), col("magerr"), col("band"), lit_double(2),
                                                 lit_int(2), lit_double(0)})},
        {"dip_depth_2s2", call("dip_depth", {col("mjd"), col("mag"), col("magerr"), col("band"), lit_double(2),
                                             lit_int(2), lit_double(0)})},
        {"dip_start_2s2", call("dip_start", {col("mjd"), col("mag"), col("magerr"), col("band"), lit_double(2),
                                             lit_int(2), lit_double(0)})},
        {"dip_duration_2s2", call("dip_duration", {col("mjd"), col("mag"), col("magerr"), col("band"),
                                                   lit_double(2), lit_int(2), lit_double(0)})},
    };
    for (auto& [name, e] : exprs) write_f8(dir + "/fn_" + name + ".npy", as_f8(evaluate(*e, t)));
  }
  std::printf("exported %zu rows, %lld points to %s\n", rows, (long long)off.back(), dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw std::runtime_error("usage: dipsearch run FILE | dipsearch export FILE|--generate N --dir D");
    std::string mode = argv[1], file, dir;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    DipParams p;
    bool grid = false, functions = false;
    int64_t generate = 0;
    uint64_t seed = 1;
    for (int i = 2; i < argc; i++) {
      std::string a = argv[i];
      auto val = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--threads") threads = unsigned(std::stoi(val()));
      else if (a == "--nsigma") p.nsigma = std::stod(val());
      else if (a == "--min-points") p.min_points = std::stoi(val());
      else if (a == "--min-significance") p.min_significance = std::stod(val());
      else if (a == "--grid") grid = true;
      else if (a == "--functions") functions = true;
      else if (a == "--generate") generate = std::stoll(val());
      else if (a == "--seed") seed = std::stoull(val());
      else if (a == "--dir") dir = val();
      else if (!a.empty() && a[0] != '-') file = a;
      else throw std::runtime_error("unknown option " + a);
    }
    if (mode == "run" && !file.empty()) return run(file, threads, p, grid);
    if (mode == "export" && !dir.empty() && (!file.empty() || generate > 0))
      return export_arrays(file, generate, seed, dir, functions, p);
    throw std::runtime_error("usage: dipsearch run FILE | dipsearch export FILE|--generate N --dir D");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dipsearch: %s\n", e.what());
    return 1;
  }
}
