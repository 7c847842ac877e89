#include "engine/selection.h"

#include <cmath>
#include <type_traits>

#include "engine/column_ops.h"

namespace astrolake::engine {

using parquet::Column;
using parquet::Table;
using parquet::Type;

namespace {

void conjuncts(const ExprPtr& e, std::vector<ExprPtr>& out) {
  if (e->kind == ExprKind::And) {
    conjuncts(e->args[0], out);
    conjuncts(e->args[1], out);
  } else {
    out.push_back(e);
  }
}

// `column op literal` (either way round) on a non-list numeric column and a non-null numeric
// literal; the op is turned around when the literal is on the left.
struct Simple {
  const Column* col = nullptr;
  BinOp op = BinOp::Eq;
  Value lit;
};

bool plain_numeric(Type t) {
  switch (t) {
    case Type::Int8: case Type::Int16: case Type::Int32: case Type::Int64:
    case Type::UInt8: case Type::UInt16: case Type::UInt32: case Type::Float: case Type::Double: return true;
    default: return false;
  }
}

bool simple(const Expr& e, const Table& batch, Simple& s) {
  if (e.kind != ExprKind::Binary || !is_comparison(e.op)) return false;
  const Expr* c = e.args[0].get();
  const Expr* l = e.args[1].get();
  BinOp op = e.op;
  if (c->kind == ExprKind::Literal) {
    std::swap(c, l);
    op = flip_comparison(op);
  }
  if (c->kind != ExprKind::Column || l->kind != ExprKind::Literal || l->value.null) return false;
  if (l->value.type != Type::Int64 && l->value.type != Type::Double) return false;
  int i = batch.find(c->name);
  if (i < 0) return false;  // the generic path reports the missing column
  const Column& col = batch.columns[size_t(i)];
  if (col.field.list || !plain_numeric(col.field.type)) return false;
  s.col = &col;
  s.op = op;
  s.lit = l->value;
  return true;
}

// The same three-way comparisons as the expression evaluator: NaN equals NaN and sorts above
// every number.
inline int cmp3(double x, double y) {
  bool xn = std::isnan(x), yn = std::isnan(y);
  if (xn || yn) return xn == yn ? 0 : (xn ? 1 : -1);
  return x < y ? -1 : (x > y ? 1 : 0);
}
inline int cmp3(int64_t x, int64_t y) { return x < y ? -1 : (x > y ? 1 : 0); }

template <BinOp Op>
inline bool holds(int r) {
  if constexpr (Op == BinOp::Eq) return r == 0;
  if constexpr (Op == BinOp::Ne) return r != 0;
  if constexpr (Op == BinOp::Lt) return r < 0;
  if constexpr (Op == BinOp::Le) return r <= 0;
  if constexpr (Op == BinOp::Gt) return r > 0;
  return r >= 0;
}

// cmp3(x, c) for a literal c that is not NaN, as one comparison (NaN x sorts above c).
template <BinOp Op, class C>
inline bool holds_vs_number(C x, C c) {
  if constexpr (Op == BinOp::Eq) return x == c;
  if constexpr (Op == BinOp::Ne) return !(x == c);
  if constexpr (Op == BinOp::Lt) return x < c;
  if constexpr (Op == BinOp::Le) return x <= c;
  if constexpr (Op == BinOp::Gt) return !(x <= c);
  return !(x < c);
}

// Keeps the rows of `sel` (all rows when `all`) whose value passes; writes in place.
template <BinOp Op, class T, class Pass>
void refine_with(const Column& col, Pass pass, bool all, size_t n, Selection& sel) {
  const T* v = col.values_as<T>();
  const uint8_t* valid = col.valid.empty() ? nullptr : col.valid.data();
  size_t k = 0;
  if (all) {
    sel.resize(n);
    uint32_t* out = sel.data();
    if (!valid) {
      for (size_t i = 0; i < n; i++) {
        out[k] = uint32_t(i);
        k += pass(v[i]);
      }
    } else {
      for (size_t i = 0; i < n; i++) {
        out[k] = uint32_t(i);
        k += valid[i] & pass(v[i]);
      }
    }
  } else {
    uint32_t* out = sel.data();
    for (size_t j = 0; j < sel.size(); j++) {
      uint32_t i = out[j];
      out[k] = i;
      k += (!valid || valid[i]) && pass(v[i]);
    }
  }
  sel.resize(k);
}

template <BinOp Op, class T, class C>
void refine_as(const Column& col, C lit, bool all, size_t n, Selection& sel) {
  if constexpr (std::is_floating_point_v<C>) {
    if (!std::isnan(lit)) return refine_with<Op, T>(col, [lit](C x) { return holds_vs_number<Op>(x, lit); }, all, n, sel);
  }
  refine_with<Op, T>(col, [lit](C x) { return holds<Op>(cmp3(x, lit)); }, all, n, sel);
}

template <BinOp Op, class T>
void refine_typed(const Simple& s, bool all, size_t n, Selection& sel) {
  // Integer column and integer literal compare as integers; anything else as doubles.
  if (parquet::is_integer(s.col->field.type) && s.lit.type == Type::Int64)
    refine_as<Op, T, int64_t>(*s.col, s.lit.i, all, n, sel);
  else
    refine_as<Op, T, double>(*s.col, s.lit.type == Type::Int64 ? double(s.lit.i) : s.lit.d, all, n, sel);
}

template <BinOp Op>
void refine_op(const Simple& s, bool all, size_t n, Selection& sel) {
  switch (s.col->field.type) {
    case Type::Int8: refine_typed<Op, int8_t>(s, all, n, sel); return;
    case Type::Int16: refine_typed<Op, int16_t>(s, all, n, sel); return;
    case Type::Int32: refine_typed<Op, int32_t>(s, all, n, sel); return;
    case Type::Int64: refine_typed<Op, int64_t>(s, all, n, sel); return;
    case Type::UInt8: refine_typed<Op, uint8_t>(s, all, n, sel); return;
    case Type::UInt16: refine_typed<Op, uint16_t>(s, all, n, sel); return;
    case Type::UInt32: refine_typed<Op, uint32_t>(s, all, n, sel); return;
    case Type::Float: refine_typed<Op, float>(s, all, n, sel); return;
    default: refine_typed<Op, double>(s, all, n, sel); return;
  }
}

void refine(const Simple& s, bool all, size_t n, Selection& sel) {
  switch (s.op) {
    case BinOp::Eq: refine_op<BinOp::Eq>(s, all, n, sel); return;
    case BinOp::Ne: refine_op<BinOp::Ne>(s, all, n, sel); return;
    case BinOp::Lt: refine_op<BinOp::Lt>(s, all, n, sel); return;
    case BinOp::Le: refine_op<BinOp::Le>(s, all, n, sel); return;
    case BinOp::Gt: refine_op<BinOp::Gt>(s, all, n, sel); return;
    default: refine_op<BinOp::Ge>(s, all, n, sel); return;
  }
}

// Generic conjunct: evaluated over the whole batch, then intersected with `sel`.
void refine_generic(const Expr& e, const Table& batch, bool all, Selection& sel) {
  Column m = evaluate(e, batch);
  std::vector<int64_t> t = column_i64(m);
  size_t k = 0;
  if (all) {
    sel.resize(t.size());
    for (size_t i = 0; i < t.size(); i++) {
      sel[k] = uint32_t(i);
      k += t[i] != 0 && !m.value_is_null(i);
    }
  } else {
    for (size_t j = 0; j < sel.size(); j++) {
      uint32_t i = sel[j];
      sel[k] = i;
      k += t[i] != 0 && !m.value_is_null(i);
    }
  }
  sel.resize(k);
}

}  // namespace

void select_rows(const Expr& predicate, const Table& batch, Selection& sel) {
  size_t n = batch.rows();
  if (n > UINT32_MAX) throw ExprError("batch of " + std::to_string(n) + " rows is too large to filter");
  std::vector<ExprPtr> parts;
  if (predicate.kind == ExprKind::And) {
    conjuncts(predicate.args[0], parts);
    conjuncts(predicate.args[1], parts);
  }
  std::vector<const Expr*> terms;
  for (const auto& p : parts) terms.push_back(p.get());
  if (parts.empty()) terms.push_back(&predicate);
  // Simple conjuncts first (cheap, and they shrink the rows the others look at).
  bool all = true;
  std::vector<const Expr*> rest;
  for (const Expr* t : terms) {
    Simple s;
    if (!simple(*t, batch, s)) {
      rest.push_back(t);
      continue;
    }
    refine(s, all, n, sel);
    all = false;
  }
  for (const Expr* t : rest) {
    refine_generic(*t, batch, all, sel);
    all = false;
  }
}

}  // namespace astrolake::engine
