#include "service/tap/query.h"

#include <algorithm>
#include <cctype>

#include "adql/lexer.h"
#include "adql/parser.h"
#include "engine/column_ops.h"
#include "parquet/writer.h"
#include "service/tap/error.h"
#include "service/tap/metadata.h"

namespace astrolake::service {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string get(const ParamMap& p, const std::string& key) {
  auto it = p.find(key);
  return it == p.end() ? "" : it->second;
}

// RESPONSEFORMAT values: short names, MIME types (parameters such as ";header=present" and
// spaces ignored, except VOTable's serialization).
void parse_format(const std::string& given, TapParams& t) {
  std::string f;
  for (char c : lower(given))
    if (c != ' ') f += c;
  std::string base = f.substr(0, f.find(';'));
  using votable::Format;
  if (f.empty() || f == "votable" || f == "votable/b2" || f == "application/x-votable+xml" || f == "text/xml" ||
      f == "application/x-votable+xml;serialization=binary2" || f == "application/x-votable+xml;serialization=\"binary2\"")
    t.format = Format::Binary2;
  else if (f == "votable/td" || f == "votabletd" || f == "application/x-votable+xml;serialization=tabledata" ||
           f == "application/x-votable+xml;serialization=\"tabledata\"")
    t.format = Format::TableData;
  else if (f == "votable/b" || f == "application/x-votable+xml;serialization=binary" ||
           f == "application/x-votable+xml;serialization=\"binary\"")
    t.format = Format::Binary;
  else if (f == "csv" || base == "text/csv") t.format = Format::Csv;
  else if (f == "tsv" || base == "text/tab-separated-values") t.format = Format::Tsv;
  else if (f == "json" || base == "application/json") t.format = Format::Json;
  else if (f == "parquet" || base == "application/vnd.apache.parquet" || base == "application/x-parquet") t.parquet = true;
  else
    throw DaliError(400, "unknown RESPONSEFORMAT '" + given +
                             "' (use votable, votable/td, votable/b, votable/b2, csv, tsv, json or parquet)");
}

}  // namespace

TapParams parse_tap_params(const ParamMap& p, const QueryLimits& limits) {
  TapParams t;
  std::string request = get(p, "REQUEST");
  if (!request.empty() && request != "doQuery")
    throw DaliError(400, "unknown REQUEST '" + request + "' (TAP supports REQUEST=doQuery)");
  if (!p.count("LANG")) throw DaliError(400, "missing parameter LANG (use LANG=ADQL)");
  std::string lang = get(p, "LANG");
  if (lang != "ADQL" && lang != "ADQL-2.0" && lang != "ADQL-2.1")
    throw DaliError(400, "unknown LANG '" + lang + "' (this service speaks ADQL, ADQL-2.0 and ADQL-2.1)");
  if (!p.count("QUERY")) throw DaliError(400, "missing parameter QUERY");
  t.query = get(p, "QUERY");
  if (t.query.size() > limits.max_query_bytes)
    throw DaliError(413, "QUERY is " + std::to_string(t.query.size()) + " bytes; the limit is " +
                             std::to_string(limits.max_query_bytes));
  if (t.query.find_first_not_of(" \t\r\n") == std::string::npos) throw DaliError(400, "QUERY is empty");
  t.maxrec = limits.default_maxrec;
  if (p.count("MAXREC")) {
    const std::string& m = p.at("MAXREC");
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(m, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != m.size() || m.empty() || v < 0)
      throw DaliError(400, "MAXREC must be a non-negative integer, not '" + m + "'");
    t.maxrec = std::min<int64_t>(v, limits.max_maxrec);
  }
  t.format_name = p.count("RESPONSEFORMAT") ? get(p, "RESPONSEFORMAT") : get(p, "FORMAT");
  parse_format(t.format_name, t);
  if (p.count("UPLOAD") && !get(p, "UPLOAD").empty())
    throw DaliError(400, "UPLOAD is not supported by this service yet");
  return t;
}

std::string result_mime(const TapParams& t) {
  if (t.parquet) return "application/vnd.apache.parquet";
  std::string m = votable::mime_type(t.format);
  if (t.format == votable::Format::Csv) m += ";header=present";
  return m;
}

ResultStream::ResultStream(const TapParams& params, const CatalogRoot& root, const QueryLimits& limits,
                           std::shared_ptr<engine::QueryContext> ctx)
    : params_(params), ctx_(ctx ? std::move(ctx) : std::make_shared<engine::QueryContext>()) {
  ctx_->set_time_limit(limits.time_limit_s);
  ctx_->set_memory_budget(limits.memory_budget);
  try {
    adql::Statement stmt = adql::parse(params.query);
    if (stmt.explain) throw DaliError(400, "EXPLAIN is not available through TAP");
    root.check_statement(stmt);
    adql::PlanOptions po;
    po.root = root.path();
    po.schema_roots = params.schema_roots;
    po.ctx = ctx_.get();
    po.threads = limits.threads;
    po.progress = 0;
    // The caller's TAP_SCHEMA lists their own mydb tables too.
    auto it = params.schema_roots.find("mydb");
    std::shared_ptr<CatalogRoot> mydb;
    if (it != params.schema_roots.end()) mydb = std::make_shared<CatalogRoot>(it->second);
    po.memory_tables = [&root, mydb](const std::vector<std::string>& names) {
      return tap_schema_table(names, root, mydb.get());
    };
    plan_ = adql::plan(stmt, po);
    if (params.maxrec > 0) {
      first_ = plan_.root->next();
      first_pulled_ = true;
    }
  } catch (const DaliError&) {
    throw;
  } catch (const std::invalid_argument& e) {  // syntax, names, types (SyntaxError, PlanError, ExprError)
    throw DaliError(400, e.what());
  } catch (const engine::QueryError& e) {  // a limit reached
    throw DaliError(400, e.what());
  } catch (const std::exception& e) {
    throw DaliError(500, e.what());
  }
}

bool ResultStream::write_all(const std::function<bool(const std::string&)>& sink) {
  votable::WriterOptions wo;
  wo.query = params_.query;
  // The planner knows which output columns carry the position of the first catalog.
  wo.meta.resize(plan_.schema.size());
  for (size_t i = 0; i < plan_.schema.size(); i++) {
    if (plan_.schema[i].name == plan_.ra_column) wo.meta[i] = {"deg", "pos.eq.ra;meta.main", "", ""};
    if (plan_.schema[i].name == plan_.dec_column) wo.meta[i] = {"deg", "pos.eq.dec;meta.main", "", ""};
  }
  auto w = votable::make_writer(params_.format, plan_.schema, wo);
  std::string buf;
  w->begin(buf);
  votable::Status status = votable::Status::Ok;
  std::string message;
  try {
    while (true) {
      std::optional<parquet::Table> t;
      if (first_pulled_) {
        t = std::move(first_);
        first_pulled_ = false;
      } else if (sent_ < params_.maxrec || params_.maxrec == 0) {
        if (params_.maxrec == 0) {  // metadata only: the query is not run
          overflow_ = true;
          break;
        }
        t = plan_.root->next();
      }
      if (!t) break;
      size_t n = t->rows();
      size_t take = size_t(std::min<int64_t>(int64_t(n), params_.maxrec - sent_));
      if (take) w->write(*t, 0, take, buf);
      sent_ += int64_t(take);
      if (take < n) {
        overflow_ = true;
        break;
      }
      if (buf.size() >= (1u << 20)) {
        if (!sink(buf)) {
          ctx_->cancel();
          return false;
        }
        buf.clear();
      }
    }
    if (overflow_) status = votable::Status::Overflow;
  } catch (const std::exception& e) {
    status = votable::Status::Error;
    message = stream_error_ = e.what();
  }
  w->finish(status, message, buf);
  return sink(buf);
}

void ResultStream::write_parquet(const std::string& path) {
  try {
    parquet::FileWriter fw(path, plan_.schema);
    while (true) {
      std::optional<parquet::Table> t;
      if (first_pulled_) {
        t = std::move(first_);
        first_pulled_ = false;
      } else if (sent_ < params_.maxrec) {
        t = plan_.root->next();
      }
      if (!t) break;
      size_t take = size_t(std::min<int64_t>(int64_t(t->rows()), params_.maxrec - sent_));
      if (take < t->rows()) {
        overflow_ = true;
        *t = engine::slice(*t, 0, take);
      }
      if (take) fw.write(*t);
      sent_ += int64_t(take);
      if (overflow_) break;
    }
    fw.close();
  } catch (const std::invalid_argument& e) {
    throw DaliError(400, e.what());
  } catch (const std::exception& e) {
    throw DaliError(500, e.what());
  }
}

}  // namespace astrolake::service
