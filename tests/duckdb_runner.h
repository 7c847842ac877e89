// Runs SQL in DuckDB (the independent reference) for the tests that compare against it.
// DuckDB is the node module from `npm install --prefix tools/duckdb`; the statements go to
// tests/parquet/duckdb/query.mjs in one node process, which prints each one's rows in a
// canonical text form (doubles as the hex of their IEEE bits, strings as hex bytes), one
// "--end--" line after each statement. hex_bytes/hex_double give the same form for our values.
#pragma once
#include <sys/wait.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef AL_DUCKDB_MODULES
#error "tests/CMakeLists.txt must define AL_DUCKDB_MODULES (tools/duckdb/node_modules)"
#endif
#ifndef AL_SOURCE_DIR
#error "tests/CMakeLists.txt must define AL_SOURCE_DIR"
#endif

namespace al_duckdb_test {

inline const std::string kModules = AL_DUCKDB_MODULES;
inline const std::string kScript = std::string(AL_SOURCE_DIR) + "/tests/parquet/duckdb/query.mjs";

// Runs a shell command, returns its exit status and stdout.
inline int shell(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Empty if DuckDB can be used, else what to do about it. Each test decides whether a
// missing DuckDB fails it (interop: a silent skip would hide a lost check) or skips it.
inline std::string duckdb_problem() {
  std::string out;
  if (shell("node --version 2>/dev/null", out) != 0)
    return "node is not installed (DuckDB tests need Node.js >= 18: apt-get install nodejs npm)";
  if (!std::filesystem::exists(kModules + "/@duckdb/node-api/package.json"))
    return "DuckDB node module missing under " + kModules +
           "; install it with: npm install --prefix tools/duckdb (from the repository root)";
  return "";
}

inline std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += char(c);
    else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else o += char(c);
  }
  return o + "\"";
}

inline std::string hex_bytes(std::string_view s) {
  static const char* h = "0123456789abcdef";
  std::string o;
  for (unsigned char c : s) o += h[c >> 4], o += h[c & 15];
  return o;
}

inline std::string hex_double(double v) {
  if (std::isnan(v)) return "nan";
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", (unsigned long long)bits);
  return b;
}

struct DuckRun {
  int status = -1;                             // node's exit status
  std::string error;                           // its stderr, when status != 0
  std::vector<std::vector<std::string>> rows;  // one list of canonical rows per statement
  size_t completed = 0;                        // "--end--" markers seen; == statements when all ran
};

// Runs the statements in DuckDB, one node process for all. `dir` (existing) holds the
// statement file and node's stderr.
inline DuckRun run_duckdb(const std::vector<std::string>& stmts, const std::string& dir) {
  std::string q = dir + "/q.json", err = dir + "/err.txt";
  {
    std::ofstream f(q);
    f << "[";
    for (size_t i = 0; i < stmts.size(); i++) f << (i ? "," : "") << json_str(stmts[i]);
    f << "]";
  }
  DuckRun r;
  r.rows.resize(stmts.size());
  std::string out;
  r.status = shell("AL_DUCKDB_MODULES='" + kModules + "' node '" + kScript + "' '" + q + "' 2>'" + err + "'", out);
  if (r.status != 0) {
    std::ifstream e(err);
    std::stringstream ss;
    ss << e.rdbuf();
    r.error = ss.str();
    return r;
  }
  std::stringstream ss(out);
  std::string line;
  while (std::getline(ss, line)) {
    if (line == "--end--") r.completed++;
    else if (r.completed < r.rows.size()) r.rows[r.completed].push_back(line);
  }
  return r;
}

}  // namespace al_duckdb_test
