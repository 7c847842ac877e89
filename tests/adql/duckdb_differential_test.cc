// Differential test: hundreds of generated queries (filters with NULLs and three-valued logic,
// expressions, GROUP BY/HAVING, ORDER BY, TOP/OFFSET, DISTINCT, key joins, IN subqueries) run
// through the ADQL planner over a generated HATS catalog and through DuckDB over the same rows;
// results must agree as multisets (in order, for ORDER BY queries).
//
// DuckDB comes from `npm install --prefix tools/duckdb`; without node or the module the test
// is skipped with the command to run. Translation to DuckDB SQL: TOP n -> LIMIT n (after
// OFFSET's position). The generator never divides two integers (our `/` truncates, DuckDB's
// gives a double) and always ends ORDER BY with the unique id, so orders are total.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "../duckdb_runner.h"
#include "adql/planner.h"
#include "catalog/import.h"
#include "engine/column_ops.h"
#include "parquet/writer.h"

using namespace astrolake;

namespace {

namespace fs = std::filesystem;

using al_duckdb_test::hex_bytes;

// One cell in query.mjs's canonical form (doubles as the hex of their bits).
std::string cell(const parquet::Column& c, size_t r) {
  if (c.is_null(r)) return "\\N";
  using parquet::Type;
  Type t = c.field.type;
  if (t == Type::Bool) return c.values_as<uint8_t>()[r] ? "true" : "false";
  if (t == Type::Float || t == Type::Double) return al_duckdb_test::hex_double(c.as_double(r));
  if (t == Type::String || t == Type::Binary) return hex_bytes(c.string_at(r));
  return engine::value_at(c, r).to_string();
}

// Doubles (16 hex digits) rounded to 9 significant digits: sums in another order differ in
// the last bits. Strings are hex too; the rewrite is the same on both sides, so harmless.
std::string normalise(const std::string& row) {
  std::stringstream ss(row);
  std::string f, out;
  bool first = true;
  while (std::getline(ss, f, '\t')) {
    if (f.size() == 16 && f.find_first_not_of("0123456789abcdef") == std::string::npos) {
      uint64_t bits = std::stoull(f, nullptr, 16);
      double d;
      std::memcpy(&d, &bits, 8);
      char b[40];
      std::snprintf(b, sizeof b, "%.9g", d == 0 ? 0.0 : d);
      f = b;
    }
    out += (first ? "" : "\t") + f;
    first = false;
  }
  return out;
}

struct Data {
  std::string dir, root;
};

// t: id, g (int32, nulls), x (double, nulls), s (string, nulls), b (bool, nulls), ra, dec.
// u: k (int64, nulls, duplicates), w (double), name (string).
void make_data(Data& d, std::vector<std::string>& duck_setup) {
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> U(0, 1);
  size_t n = 5000;
  std::vector<int64_t> id(n);
  std::vector<int32_t> g(n);
  std::vector<double> x(n), ra(n), dec(n);
  std::vector<uint8_t> b(n), gv(n), xv(n), sv(n), bv(n);
  std::vector<std::string> s(n);
  const char* words[] = {"alpha", "beta", "Gamma", "delta", "eps", "a_b", "zeta%"};
  for (size_t i = 0; i < n; i++) {
    id[i] = int64_t(i) * 3 + 1;
    g[i] = int32_t(U(rng) * 10) - 2;
    gv[i] = U(rng) > 0.1;
    x[i] = std::round((U(rng) * 200 - 100) * 1000) / 1000;
    xv[i] = U(rng) > 0.15;
    s[i] = words[size_t(U(rng) * 7)];
    sv[i] = U(rng) > 0.1;
    b[i] = U(rng) > 0.5;
    bv[i] = U(rng) > 0.2;
    ra[i] = U(rng) * 360;
    dec[i] = std::asin(2 * U(rng) - 1) * 180 / M_PI;
  }
  parquet::Table t;
  t.columns.push_back(engine::make_i64({"id", parquet::Type::Int64, false}, id));
  parquet::Column gc(parquet::Field{"g", parquet::Type::Int32, true});
  parquet::Column sc(parquet::Field{"s", parquet::Type::String, true});
  parquet::Column bc(parquet::Field{"b", parquet::Type::Bool, true});
  for (size_t i = 0; i < n; i++) {
    if (gv[i]) gc.push<int32_t>(g[i]);
    else gc.push_null();
    if (sv[i]) sc.push_string(s[i]);
    else sc.push_null();
    if (bv[i]) bc.push<uint8_t>(b[i]);
    else bc.push_null();
  }
  t.columns.push_back(gc);
  t.columns.push_back(engine::make_f64({"x", parquet::Type::Double, true}, x, xv));
  t.columns.push_back(sc);
  t.columns.push_back(bc);
  t.columns.push_back(engine::make_f64({"ra", parquet::Type::Double, false}, ra));
  t.columns.push_back(engine::make_f64({"dec", parquet::Type::Double, false}, dec));
  for (auto& c : t.columns) engine::normalize_validity(c.valid);

  size_t m = 40;
  parquet::Table u;
  std::vector<int64_t> k(m);
  std::vector<uint8_t> kv(m);
  std::vector<double> w(m);
  parquet::Column name(parquet::Field{"name", parquet::Type::String, false});
  for (size_t i = 0; i < m; i++) {
    k[i] = int64_t(U(rng) * 12) - 3;
    kv[i] = U(rng) > 0.1;
    w[i] = std::round(U(rng) * 1000) / 10;
    name.push_string("n" + std::to_string(i % 7));
  }
  u.columns.push_back(engine::make_i64({"k", parquet::Type::Int64, true}, k, kv));
  u.columns.push_back(engine::make_f64({"w", parquet::Type::Double, false}, w));
  u.columns.push_back(name);
  for (auto& c : u.columns) engine::normalize_validity(c.valid);
  u.columns.push_back(engine::make_f64({"ra", parquet::Type::Double, false}, std::vector<double>(m, 10.0)));
  u.columns.push_back(engine::make_f64({"dec", parquet::Type::Double, false}, std::vector<double>(m, 20.0)));

  for (auto [tab, nm, rows] : {std::tuple{&t, "t", 700}, std::tuple{&u, "u", 1000}}) {
    std::string pq = d.dir + "/" + nm + ".parquet";
    parquet::write_table(pq, *tab);
    catalog::ImportOptions o;
    o.inputs = {pq};
    o.output = d.root + "/" + nm;
    o.max_rows = rows;
    o.highest_order = 6;
    o.progress = 0;
    o.threads = 2;
    catalog::import_catalog(o);
    duck_setup.push_back(std::string("CREATE VIEW ") + nm + " AS SELECT * FROM read_parquet('" + pq + "')");
  }
}

// A generated query: the ADQL text and DuckDB's, and whether row order matters.
struct Q {
  std::string adql, duck;
  bool ordered = false;
};

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int pick(int n) { return int(rng_() % uint64_t(n)); }
  std::string num() { return std::to_string(pick(140) - 70) + (pick(2) ? ".5" : ""); }

  std::string atom(const std::string& p) {
    switch (pick(16)) {
      case 0: return p + "x > " + num();
      case 1: return p + "x <= " + num();
      case 2: return p + "g = " + std::to_string(pick(10) - 2);
      case 3: return p + "g <> " + std::to_string(pick(10) - 2);
      case 4: return p + "s = '" + std::string(pick(2) ? "beta" : "Gamma") + "'";
      case 5: return p + "s LIKE '" + std::string(pick(2) ? "%a" : "a%") + "'";
      case 6: return p + "x IS NULL";
      case 7: return p + "s IS NOT NULL";
      case 8: return p + "g BETWEEN " + std::to_string(pick(5) - 2) + " AND " + std::to_string(pick(6) + 2);
      case 9: return p + "g IN (1, 3, " + std::to_string(pick(8)) + ")";
      case 10: return p + "g NOT IN (0, " + std::to_string(pick(8)) + ")";
      case 11: return p + "x + " + p + "g > " + num();
      case 12: return "COALESCE(" + p + "x, 0) < " + num();
      case 13: return "ABS(" + p + "x) < " + std::to_string(pick(60));
      case 14: return p + "b = " + std::string(pick(2) ? "TRUE" : "FALSE");
      default: return "LOWER(" + p + "s) = 'gamma'";
    }
  }
  std::string pred(const std::string& p, int depth = 0) {
    int r = depth >= 2 ? 0 : pick(5);
    if (r <= 1) return atom(p);
    if (r == 2) return "(" + pred(p, depth + 1) + " AND " + pred(p, depth + 1) + ")";
    if (r == 3) return "(" + pred(p, depth + 1) + " OR " + pred(p, depth + 1) + ")";
    return "NOT (" + pred(p, depth + 1) + ")";
  }
  std::string value_expr() {
    switch (pick(11)) {
      case 0: return "x * 2";
      case 1: return "g + 1";
      case 2: return "COALESCE(g, -1)";
      case 3: return "CASE WHEN x > 0 THEN 'pos' WHEN x < 0 THEN 'neg' ELSE 'zero' END";
      case 4: return "UPPER(s)";
      case 5: return "s || '!'";
      case 6: return "-x";
      case 7: return "MOD(g, 3)";
      case 8: return "x / 4.0";
      case 9: return "ABS(g) * 10 - id";
      default: return "FLOOR(x)";
    }
  }

  Q next() {
    Q q;
    std::string where = pick(5) ? " WHERE " + pred("") : "";
    switch (pick(9)) {
      case 0: case 1: {  // filter + expressions
        std::string sel = "id, " + value_expr() + " AS v1, " + value_expr() + " AS v2";
        q.adql = q.duck = "SELECT " + sel + " FROM t" + where;
        break;
      }
      case 2: {  // group by + having
        std::string key = pick(2) ? "g" : "s";
        std::string having = pick(2) ? " HAVING COUNT(*) > " + std::to_string(pick(200)) : "";
        q.adql = q.duck = "SELECT " + key + ", COUNT(*) AS n, COUNT(x) AS nx, SUM(x) AS sx, MIN(x) AS lo, MAX(s) AS hi, "
                          "AVG(x) AS mx, SUM(g) AS sg, COUNT(DISTINCT g) AS dg FROM t" + where + " GROUP BY " + key + having;
        break;
      }
      case 3: {  // order by + top/offset
        int n = pick(50) + 1, off = pick(3) ? 0 : pick(20);
        std::string dir = pick(2) ? " DESC" : "";
        std::string key = pick(2) ? "x" : value_expr();
        std::string sel = "id, x, s";
        q.adql = "SELECT TOP " + std::to_string(n) + " " + sel + " FROM t" + where + " ORDER BY " + key + dir + ", id" +
                 (off ? " OFFSET " + std::to_string(off) : "");
        q.duck = "SELECT " + sel + " FROM t" + where + " ORDER BY " + key + dir + ", id LIMIT " + std::to_string(n) +
                 (off ? " OFFSET " + std::to_string(off) : "");
        q.ordered = true;
        break;
      }
      case 4: {  // distinct
        q.adql = q.duck = "SELECT DISTINCT " + std::string(pick(2) ? "g, s" : "b, MOD(g, 2) AS m") + " FROM t" + where;
        break;
      }
      case 5: {  // key join
        std::string how = pick(3) ? "JOIN" : "LEFT JOIN";
        std::string w = pick(3) ? " WHERE " + pred("t.") : "";
        q.adql = q.duck = "SELECT t.id, t.g, u.w, u.name FROM t " + how + " u ON t.g = u.k" + w;
        break;
      }
      case 6: {  // IN subquery
        std::string neg = pick(3) ? "" : "NOT ";
        q.adql = q.duck = "SELECT id, g FROM t WHERE g " + neg + "IN (SELECT k FROM u WHERE w > " +
                          std::to_string(pick(100)) + ")" + (pick(2) ? " AND " + pred("") : "");
        break;
      }
      case 7: {  // aggregate without grouping, over a join
        q.adql = q.duck = "SELECT COUNT(*), SUM(u.w), MAX(t.x), MIN(u.name) FROM t JOIN u ON t.g = u.k" +
                          (pick(2) ? " WHERE " + pred("t.") : std::string());
        break;
      }
      default: {  // group by an expression, ordered
        q.adql = q.duck = "SELECT MOD(g, 3) AS m, COUNT(*) AS n, SUM(x) AS sx FROM t" + where +
                          " GROUP BY MOD(g, 3) ORDER BY m";
        q.ordered = true;
        break;
      }
    }
    return q;
  }

  // One side of a set operation: one or two columns of t or u, with a random filter.
  std::string side(int cols) {
    switch (pick(4)) {
      case 0: return cols == 1 ? "SELECT k FROM u" : "SELECT k, name FROM u WHERE w > " + std::to_string(pick(100));
      case 1: return cols == 1 ? "SELECT g FROM t WHERE " + pred("") : "SELECT g, s FROM t WHERE " + pred("");
      case 2: return cols == 1 ? "SELECT MOD(g, 4) FROM t WHERE " + pred("") : "SELECT MOD(g, 4), LOWER(s) FROM t WHERE " + pred("");
      default: return cols == 1 ? "SELECT FLOOR(x / 10) FROM t WHERE " + pred("")  // double vs integer sides
                                : "SELECT FLOOR(x / 10), s FROM t WHERE " + pred("");
    }
  }
  // UNION / EXCEPT / INTERSECT with and without ALL, chained (INTERSECT binds tighter),
  // sometimes ordered by every column (a total order once duplicates are gone).
  Q set_op() {
    static const char* ops[] = {"UNION", "UNION ALL", "EXCEPT", "EXCEPT ALL", "INTERSECT", "INTERSECT ALL"};
    int cols = 1 + pick(2);
    Q q;
    q.adql = side(cols) + " " + ops[pick(6)] + " " + side(cols);
    if (pick(3) == 0) q.adql += std::string(" ") + ops[pick(6)] + " " + side(cols);
    if (pick(3) == 0) {
      q.adql = side(cols) + " UNION " + "(" + q.adql + ")";
      q.adql += cols == 1 ? " ORDER BY 1 DESC" : " ORDER BY 2, 1";
      q.ordered = true;
    }
    q.duck = q.adql;
    return q;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

TEST(DuckdbDifferential, GeneratedQueriesAgree) {
  std::string problem = al_duckdb_test::duckdb_problem();
  ASSERT_TRUE(problem.empty()) << problem;  // CI installs DuckDB; a missing one must not pass silently
  Data d;
  char tmpl[] = "/tmp/al_adql_diff_XXXXXX";
  d.dir = mkdtemp(tmpl);
  d.root = d.dir + "/root";
  fs::create_directories(d.root);
  std::vector<std::string> setup;
  make_data(d, setup);

  Gen gen(99);
  std::vector<Q> qs;
  for (int i = 0; i < 400; i++) qs.push_back(gen.next());
  Gen set_gen(7);
  for (int i = 0; i < 150; i++) qs.push_back(set_gen.set_op());
  std::vector<std::string> stmts = setup;
  for (const Q& q : qs) stmts.push_back(q.duck);
  al_duckdb_test::DuckRun run = al_duckdb_test::run_duckdb(stmts, d.dir);
  ASSERT_EQ(run.status, 0) << "DuckDB failed: " << run.error;
  ASSERT_EQ(run.completed, stmts.size());
  std::vector<std::vector<std::string>> duck(stmts.size());
  for (size_t k = 0; k < stmts.size(); k++)
    for (const std::string& line : run.rows[k]) duck[k].push_back(normalise(line));

  adql::PlanOptions po;
  po.root = d.root;
  po.threads = 2;
  size_t failures = 0, rows_compared = 0;
  for (size_t i = 0; i < qs.size(); i++) {
    std::vector<std::string> ours;
    try {
      adql::Plan p = adql::plan(qs[i].adql, po);
      parquet::Table t = engine::collect(*p.root);
      for (size_t r = 0; r < t.rows(); r++) {
        std::string line;
        for (size_t c = 0; c < t.columns.size(); c++) line += (c ? "\t" : "") + cell(t.columns[c], r);
        ours.push_back(normalise(line));
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "query " << i << " failed: " << e.what() << "\n  " << qs[i].adql;
      if (++failures > 10) break;
      continue;
    }
    std::vector<std::string> theirs = duck[i + setup.size()];
    if (!qs[i].ordered) {
      std::sort(ours.begin(), ours.end());
      std::sort(theirs.begin(), theirs.end());
    }
    rows_compared += ours.size();
    if (ours != theirs) {
      std::string diff;
      for (size_t r = 0; r < std::max(ours.size(), theirs.size()) && r < 5; r++)
        diff += "\n  ours:   " + (r < ours.size() ? ours[r] : "-") + "\n  duckdb: " + (r < theirs.size() ? theirs[r] : "-");
      ADD_FAILURE() << "query " << i << " differs (" << ours.size() << " vs " << theirs.size() << " rows)\n  "
                    << qs[i].adql << diff;
      if (++failures > 10) break;
    }
  }
  std::printf("[differential] %zu queries, %zu rows compared with DuckDB\n", qs.size(), rows_compared);
  fs::remove_all(d.dir);
}
