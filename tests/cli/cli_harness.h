// Shared helpers for the tests that run the astrolake binary: spawning it with captured
// stdout/stderr (and an interruptible variant), temp dirs, and reading results back from
// each output format in a canonical text form so values compare bit-for-bit: doubles as the
// hex of their bits, integers in decimal, strings as-is, nulls as "<null>".
#pragma once
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "parquet/reader.h"

extern char** environ;

namespace al_cli_test {

namespace fs = std::filesystem;
using astrolake::parquet::Column;
using astrolake::parquet::Field;
using astrolake::parquet::Table;
using astrolake::parquet::Type;

inline std::string data(const std::string& rel) { return std::string(AL_TEST_DATA) + "/hats/" + rel; }

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("al_" + tag + "_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  // Every entry under the dir (recursively), to check that nothing was left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(path)) out.push_back(fs::relative(e.path(), path).string());
    return out;
  }
};

// Starts the binary with `args`, its file descriptors set up by `fa` and its environment
// `envp`. Returns the pid, or -1 when it could not be started.
inline pid_t spawn_binary(const std::vector<std::string>& args, const posix_spawn_file_actions_t& fa,
                          char* const* envp = environ) {
  std::vector<std::string> all = {AL_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  return posix_spawn(&pid, AL_BINARY, &fa, nullptr, argv.data(), envp) == 0 ? pid : -1;
}

// Starts the binary with `args`; stdout and stderr go to files. Returns the pid.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::string& out_file, const std::string& err_file) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = spawn_binary(args, fa);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

struct RunResult {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
  // stderr, minus a trailing newline, must be one line
  int err_lines() const {
    int n = 0;
    for (char c : err) n += c == '\n';
    return n + (!err.empty() && err.back() != '\n');
  }
};

inline RunResult wait_cli(pid_t pid, const std::string& out_file, const std::string& err_file) {
  RunResult r;
  int ws = 0;
  if (pid > 0 && ::waitpid(pid, &ws, 0) == pid && WIFEXITED(ws)) r.status = WEXITSTATUS(ws);
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  std::remove(out_file.c_str());
  std::remove(err_file.c_str());
  return r;
}

// Runs the binary with stdout sent to `out_path` (opened, never created or removed: a device
// such as /dev/full, a FIFO, or the write end of a pipe given as /proc/self/fd/N) and stderr
// captured. RunResult::out stays empty.
inline RunResult run_cli_stdout_to(const std::vector<std::string>& args, const std::string& out_path) {
  static int seq = 0;
  std::string err = (fs::temp_directory_path() / ("al_cli_err_" + std::to_string(::getpid()) + "_" +
                                                  std::to_string(seq++))).string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = spawn_binary(args, fa);
  posix_spawn_file_actions_destroy(&fa);
  RunResult r;
  int ws = 0;
  if (pid > 0 && ::waitpid(pid, &ws, 0) == pid && WIFEXITED(ws)) r.status = WEXITSTATUS(ws);
  r.err = slurp(err);
  std::remove(err.c_str());
  return r;
}

// Runs the binary to completion. Output captures live in the system temp dir, never in a
// test's own dir, so "nothing was written" checks see only what the command wrote.
inline RunResult run_cli(const std::vector<std::string>& args) {
  static int seq = 0;
  std::string base = (fs::temp_directory_path() / ("al_cli_io_" + std::to_string(::getpid()) + "_" +
                                                   std::to_string(seq++))).string();
  pid_t pid = spawn_cli(args, base + ".out", base + ".err");
  return wait_cli(pid, base + ".out", base + ".err");
}

// Runs the binary to completion; returns its stdout (then its stderr, when `with_stderr`)
// and sets `status`. For tests that check only the text.
inline std::string cli_output(const std::vector<std::string>& args, int& status, bool with_stderr = false) {
  RunResult r = run_cli(args);
  status = r.status;
  return with_stderr ? r.out + r.err : r.out;
}

// ---- canonical values ----

using Canon = std::vector<std::vector<std::string>>;  // [column][row]

inline std::string bits_of(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  char s[32];
  std::snprintf(s, sizeof s, "d:%016" PRIx64, b);
  return s;
}

inline std::string canon_value(const Column& c, size_t r) {
  if (c.is_null(r)) return "<null>";
  switch (c.field.type) {
    case Type::Double: return bits_of(c.values_as<double>()[r]);
    case Type::Float: return bits_of(double(c.values_as<float>()[r]));
    case Type::String:
    case Type::Binary: return std::string(c.string_at(r));
    case Type::UInt64: return std::to_string(c.values_as<uint64_t>()[r]);
    default: return std::to_string(int64_t(c.as_double(r)));  // small integer types only here
  }
}

inline std::string canon_int64(const Column& c, size_t r) {
  if (c.is_null(r)) return "<null>";
  if (c.field.type == Type::Int64) return std::to_string(c.values_as<int64_t>()[r]);
  return canon_value(c, r);
}

struct Result {
  std::vector<std::string> names;
  Canon cols;
  size_t rows() const { return cols.empty() ? 0 : cols[0].size(); }
  int find(const std::string& n) const {
    for (size_t i = 0; i < names.size(); i++)
      if (names[i] == n) return int(i);
    return -1;
  }
  const std::vector<std::string>& col(const std::string& n) const {
    int i = find(n);
    if (i < 0) throw std::out_of_range("no column " + n);
    return cols[size_t(i)];
  }
};

inline void append_table(Result& res, const Table& t) {
  if (res.names.empty())
    for (auto& c : t.columns) {
      res.names.push_back(c.field.name);
      res.cols.emplace_back();
    }
  for (size_t c = 0; c < t.columns.size(); c++)
    for (size_t r = 0; r < t.rows(); r++) res.cols[c].push_back(canon_int64(t.columns[c], r));
}

inline Result canon_table(const Table& t) {
  Result r;
  append_table(r, t);
  return r;
}

// Splits CSV text (RFC 4180 quoting) into records of cells.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> rec;
  std::string cell;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); i++) {
    char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') cell += '"', i++;
      else if (ch == '"') quoted = false;
      else cell += ch;
    } else if (ch == '"') {
      quoted = any = true;
    } else if (ch == ',') {
      rec.push_back(cell), cell.clear();
    } else if (ch == '\n') {
      rec.push_back(cell), cell.clear();
      out.push_back(rec), rec.clear();
      any = false;
    } else {
      cell += ch, any = true;
    }
  }
  if (any || !rec.empty()) rec.push_back(cell), out.push_back(rec);
  return out;
}

// Reads a CSV result; `types` gives each header name's type (from the catalog) so numbers
// are parsed the way a user would: strtod for doubles (must consume the whole cell),
// strtoll for integers. Empty cells are nulls.
inline Result canon_csv(const std::string& path, const std::map<std::string, Type>& types) {
  Result res;
  auto recs = parse_csv(slurp(path));
  if (recs.empty()) throw std::runtime_error(path + ": empty CSV (no header)");
  res.names = recs[0];
  res.cols.resize(res.names.size());
  for (size_t r = 1; r < recs.size(); r++) {
    if (recs[r].size() != res.names.size())
      throw std::runtime_error(path + ": row " + std::to_string(r) + " has " + std::to_string(recs[r].size()) +
                               " cells, header has " + std::to_string(res.names.size()));
    for (size_t c = 0; c < res.names.size(); c++) {
      const std::string& s = recs[r][c];
      auto it = types.find(res.names[c]);
      Type t = it == types.end() ? Type::String : it->second;
      if (s.empty() && t != Type::String) {
        res.cols[c].push_back("<null>");
      } else if (t == Type::Double || t == Type::Float) {
        char* end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (*end) throw std::runtime_error(path + ": '" + s + "' is not a number");
        res.cols[c].push_back(bits_of(v));
      } else if (t == Type::String || t == Type::Binary) {
        res.cols[c].push_back(s);
      } else {
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (*end) throw std::runtime_error(path + ": '" + s + "' is not an integer");
        res.cols[c].push_back(std::to_string(v));
      }
    }
  }
  return res;
}

inline Result canon_parquet(const std::string& path) {
  return canon_table(astrolake::parquet::FileReader::open(path)->read());
}

// Every row of a catalog (all partitions, in partition order).
inline Result canon_catalog(const std::string& dir) {
  auto cat = astrolake::catalog::Catalog::open(dir, {false, ""});
  Result res;
  for (auto& f : cat.schema()) res.names.push_back(f.name), res.cols.emplace_back();
  for (size_t i = 0; i < cat.partitions().size(); i++) append_table(res, cat.read_partition(i));
  return res;
}

inline std::map<std::string, Type> types_of(const std::vector<Field>& fields, const std::string& suffix = "") {
  std::map<std::string, Type> m;
  for (auto& f : fields) m[f.name + suffix] = f.type;
  return m;
}

}  // namespace al_cli_test
