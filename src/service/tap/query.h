// A TAP query from request parameters to result bytes, shared by /sync and /async:
//  - TapParams: the DALI/TAP parameters (names case-insensitive), checked with a clear
//    DaliError for each problem (unknown REQUEST, LANG or format, bad MAXREC, oversized QUERY).
//  - ResultStream: a planned query whose result is pulled batch by batch into a writer; the
//    first batch is pulled up front so that errors found early still get a proper HTTP status.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "adql/planner.h"
#include "engine/query_context.h"
#include "service/tap/catalogs.h"
#include "votable/writer.h"

namespace astrolake::service {

struct QueryLimits {
  int64_t default_maxrec = 100000;
  int64_t max_maxrec = 10000000;      // MAXREC above this is lowered to it
  size_t max_query_bytes = 100000;    // longer QUERY: 413
  int threads = 1;                    // engine threads per query
  double time_limit_s = 600;          // per query
  uint64_t memory_budget = 2ull << 30;
};

// Request parameters by upper-case name (first value wins).
using ParamMap = std::map<std::string, std::string>;

struct TapParams {
  std::string query;
  int64_t maxrec = 0;
  bool parquet = false;                               // RESPONSEFORMAT parquet
  votable::Format format = votable::Format::Binary2;  // otherwise
  std::string format_name;                            // as given, for messages
  // Set by the service, not from parameters: schemas with their own catalog root (the
  // caller's `mydb`); see adql::PlanOptions::schema_roots.
  std::map<std::string, std::string> schema_roots;
};

// Throws DaliError(400/413).
TapParams parse_tap_params(const ParamMap& p, const QueryLimits& limits);
// The MIME type a result in this format is served with.
std::string result_mime(const TapParams& t);

class ResultStream {
 public:
  // Parses, checks table names, plans and pulls the first batch. Throws DaliError (400 for a
  // bad query, 500 for a catalog that cannot be read).
  // `ctx` (optional) lets the caller cancel the query at any time, planning included; the
  // limits are set on it here.
  ResultStream(const TapParams& params, const CatalogRoot& root, const QueryLimits& limits,
               std::shared_ptr<engine::QueryContext> ctx = nullptr);

  // Writes the whole result through `sink` (false from sink: the client is gone; the query is
  // cancelled). An error while streaming ends the document with an ERROR status. Returns
  // false if the sink refused.
  bool write_all(const std::function<bool(const std::string&)>& sink);
  // Writes the result as a Parquet file at `path` (atomically). Throws DaliError.
  void write_parquet(const std::string& path);

  engine::QueryContext& context() { return *ctx_; }
  int64_t rows_sent() const { return sent_; }
  bool overflow() const { return overflow_; }
  // The message when the query failed after the document began (it ends with an ERROR INFO).
  const std::string& stream_error() const { return stream_error_; }

 private:
  TapParams params_;
  std::shared_ptr<engine::QueryContext> ctx_;
  adql::Plan plan_;
  std::optional<parquet::Table> first_;
  bool first_pulled_ = false;
  int64_t sent_ = 0;
  bool overflow_ = false;
  std::string stream_error_;
};

}  // namespace astrolake::service
