// The positional join of an uploaded table (TAP_UPLOAD) with a catalog: one engine cone
// search per upload row, each result joined to that row. Output columns: the upload's, then
// the catalog's `columns` renamed to `names`. Rows whose centre or radius is NULL or invalid
// match nothing. With `left`, an upload row without a match appears once with NULL catalog
// columns, and `match` (over the joined columns) decides what counts as a match. The job
// polls its QueryContext between targets, so a cancel or a time limit stops it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/expr.h"
#include "engine/operator.h"

namespace astrolake::adql {

struct UploadConeSpec {
  std::shared_ptr<const parquet::Table> upload;
  engine::ExprPtr ra, dec, radius;  // over the upload's columns; degrees
  std::shared_ptr<catalog::Catalog> cat;
  std::vector<std::string> columns, names;
  bool left = false;
  engine::ExprPtr match;  // may be null
  int threads = 0;
};

// Throws engine::ExprError if the centre or radius is not numeric.
engine::OperatorPtr upload_cone_join(const UploadConeSpec& spec, engine::QueryContext* ctx);

}  // namespace astrolake::adql
