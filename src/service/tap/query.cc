#include "service/tap/query.h"

#include <algorithm>

#include "adql/lexer.h"
#include "adql/parser.h"
#include "engine/column_ops.h"
#include "parquet/writer.h"
#include "service/tap/error.h"
#include "service/tap/metadata.h"

namespace astrolake::service {

ResultStream::ResultStream(const TapParams& params, const CatalogRoot& root, const QueryLimits& limits,
                           std::shared_ptr<engine::QueryContext> ctx, const UploadTables& uploads)
    : params_(params), ctx_(ctx ? std::move(ctx) : std::make_shared<engine::QueryContext>()), uploads_(uploads) {
  ctx_->set_time_limit(limits.time_limit_s);
  ctx_->set_memory_budget(limits.memory_budget);
  try {
    adql::Statement stmt = adql::parse(params.query);
    if (stmt.explain) throw DaliError(400, "EXPLAIN is not available through TAP");
    adql::PlanOptions po;
    po.root = root.path();
    po.confine_to_root = true;  // the one check that names stay under the root
    po.uploads = uploads_.tables;
    po.upload_xtypes = uploads_.xtypes;
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
    // The planner names the root directory; clients are told of "the catalog root" instead.
    std::string m = e.what();
    for (size_t at; (at = m.find(root.path())) != std::string::npos;) m.replace(at, root.path().size(), "the catalog root");
    // Nor are the service's own folders named (a caller's mydb lives in the service's state).
    for (const auto& [schema, dir] : params.schema_roots)
      for (size_t at; !dir.empty() && (at = m.find(dir)) != std::string::npos;)
        m.replace(at, dir.size(), "your " + schema + " schema");
    throw DaliError(400, m);
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
    if (i < plan_.xtypes.size() && !plan_.xtypes[i].empty()) {
      const std::string& x = plan_.xtypes[i];
      bool geometry = x == "point" || x == "circle" || x == "polygon";  // DALI: degrees
      wo.meta[i] = {geometry ? "deg" : "", "", "", x};
    }
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
