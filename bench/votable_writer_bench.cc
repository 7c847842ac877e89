// The BINARY2 writer alone: 100k rows of a Gaia-like shape (int64 id, two doubles, seven
// floats) written in 8192-row batches, 15 times; prints the CPU seconds of each run.
// Usage: votable_writer_bench   (build: cmake --build build --target votable_writer_bench)
#include <chrono>
#include <ctime>
#include <cstdio>
#include "votable/writer.h"
using namespace astrolake;
using parquet::Column; using parquet::Field; using parquet::Type;
int main() {
  parquet::Table t;
  const size_t n = 100000;
  Column id(Field{"source_id", Type::Int64}), ra(Field{"ra", Type::Double}), dec(Field{"dec", Type::Double});
  std::vector<Column> more;
  for (int k = 0; k < 7; k++) more.emplace_back(Field{"c" + std::to_string(k), Type::Float});
  for (size_t i = 0; i < n; i++) {
    id.push<int64_t>(i); ra.push<double>(i * 0.001); dec.push<double>(-i * 0.0001);
    for (auto& c : more) c.push<float>(float(i) * 0.5f);
  }
  t.columns = {id, ra, dec};
  for (auto& c : more) t.columns.push_back(c);
  std::vector<Field> schema;
  for (auto& c : t.columns) schema.push_back(c.field);
  for (int rep = 0; rep < 15; rep++) {
    auto t0 = std::clock();
    auto w = votable::make_writer(votable::Format::Binary2, schema);
    std::string out; w->begin(out);
    for (size_t a = 0; a < n; a += 8192) w->write(t, a, std::min(n, a + 8192), out);
    w->finish(votable::Status::Ok, "", out);
    double s = double(std::clock() - t0) / CLOCKS_PER_SEC;
    std::printf("%.4f s, %zu bytes\n", s, out.size());
  }
}
