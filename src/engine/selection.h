// Selection vectors: the rows of a batch that pass a WHERE clause, as ascending row indices,
// so an aggregate can fold them without a filtered copy of the batch being built.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/expr.h"
#include "parquet/table.h"

namespace astrolake::engine {

using Selection = std::vector<uint32_t>;

// Sets `sel` to the rows of `batch` where `predicate` is TRUE (NULL and FALSE drop the row),
// exactly as Filter keeps them. Conjuncts of the form `column op literal` on a plain numeric
// column run as one loop over the column's values; other conjuncts are evaluated generically.
void select_rows(const Expr& predicate, const parquet::Table& batch, Selection& sel);

}  // namespace astrolake::engine
