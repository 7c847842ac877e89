// FROM names answered by PlanOptions::memory_tables (a service's TAP_SCHEMA): planned as an
// in-memory table source, like a subquery leaf.
#pragma once
#include <memory>

#include "adql/binder.h"

namespace astrolake::adql {

// Null when there is no hook, `t` is not a plain table name, or the hook does not know it.
std::shared_ptr<Planned> memory_table(const TableRef& t, const PlanOptions& opts);

}  // namespace astrolake::adql
