#include "engine/group_key.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/column_ops.h"

namespace astrolake::engine {

using parquet::Column;
using parquet::Table;
using parquet::Type;

namespace {
bool is_call(const Expr& e, const char* name) {
  if (e.kind != ExprKind::Call || e.name.size() != std::strlen(name)) return false;
  for (size_t i = 0; i < e.name.size(); i++)
    if (std::tolower(static_cast<unsigned char>(e.name[i])) != name[i]) return false;
  return true;
}

const Column* column_of(const Expr& e, const Table& batch) {
  if (e.kind != ExprKind::Column) return nullptr;
  int i = batch.find(e.name);
  return i < 0 ? nullptr : &batch.columns[size_t(i)];
}

// Resizes `buf` to n values of type t, reusing its memory, with the validity of `src`.
template <class T>
T* prepare(Column& buf, Type t, const Column& src, size_t n) {
  buf.field.type = t;
  buf.field.list = false;
  buf.data.resize(n * sizeof(T));
  buf.valid.assign(src.valid.begin(), src.valid.end());
  return buf.values_as<T>();
}

template <class S>
void floor_into(const Column& x, size_t n, double* out) {
  const S* v = x.values_as<S>();
  for (size_t i = 0; i < n; i++) out[i] = std::floor(double(v[i]));
  for (size_t i = 0; i < x.valid.size(); i++)  // a NULL's slot holds 0, as evaluate() leaves it
    if (!x.valid[i]) out[i] = 0;
}

template <class S>
void divide_into(const Column& x, size_t n, int64_t d, int64_t* out) {
  const S* v = x.values_as<S>();
  for (size_t i = 0; i < n; i++) out[i] = int64_t(v[i]) / d;
}
}  // namespace

const Column* evaluate_key_fast(const Expr& e, const Table& batch, Column& buf) {
  if (const Column* c = column_of(e, batch)) return c->field.list ? nullptr : c;
  size_t n = batch.rows();
  if (is_call(e, "floor") && e.args.size() == 1) {
    const Column* x = column_of(*e.args[0], batch);
    if (!x || x->field.list || (x->field.type != Type::Double && x->field.type != Type::Float)) return nullptr;
    double* out = prepare<double>(buf, Type::Double, *x, n);
    if (x->field.type == Type::Double) floor_into<double>(*x, n, out);
    else floor_into<float>(*x, n, out);
    return &buf;
  }
  if (e.kind == ExprKind::Binary && e.op == BinOp::Div && e.args.size() == 2 &&
      e.args[1]->kind == ExprKind::Literal) {
    const Value& d = e.args[1]->value;
    const Column* x = column_of(*e.args[0], batch);
    if (!x || x->field.list || d.null || !parquet::is_integer(d.type) || d.i == 0 || d.i == -1) return nullptr;
    if (x->field.type != Type::Int64 && x->field.type != Type::Int32) return nullptr;
    int64_t* out = prepare<int64_t>(buf, Type::Int64, *x, n);
    if (x->field.type == Type::Int64) divide_into<int64_t>(*x, n, d.i, out);
    else divide_into<int32_t>(*x, n, d.i, out);
    return &buf;
  }
  return nullptr;
}

namespace {
constexpr size_t kMaxDirect = size_t(1) << 20;  // 4 MB of slots at most
constexpr double kExact = 9007199254740992.0;   // 2^53: doubles below are exact integers' range

uint64_t raw_key(const Column& c, size_t row, size_t width) {
  uint64_t bits = 0;
  if (parquet::is_floating(c.field.type)) {
    double d = c.as_double(row);
    if (d == 0) d = 0;
    if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
    std::memcpy(&bits, &d, 8);
  } else {
    std::memcpy(&bits, c.data.data() + row * width, width);
  }
  return bits;
}

bool double_slot(double d, int64_t& k) {
  if (!(d > -kExact && d < kExact)) return false;
  k = int64_t(d);
  return double(k) == d;  // -0.0 files under 0, as 0.0 does
}
}  // namespace

bool FixedKeyIndex::slot_of_raw(uint64_t raw, int64_t& k) const {
  switch (type_) {
    case Type::Int64: k = int64_t(raw); return true;
    case Type::Int32: k = int32_t(uint32_t(raw)); return true;
    case Type::Double: {
      double d;
      std::memcpy(&d, &raw, 8);
      return double_slot(d, k);
    }
    default: return false;
  }
}

void FixedKeyIndex::widen(const Column& c, size_t from, size_t n, size_t groups) {
  if (groups + n >= std::numeric_limits<uint32_t>::max()) return;
  // The range of the keys of rows [from, n) that have a slot: one typed loop, NULLs skipped.
  int64_t kmin = INT64_MAX, kmax = INT64_MIN, k;
  const uint8_t* valid = c.valid.empty() ? nullptr : c.valid.data();
  auto scan = [&](auto slot) {
    for (size_t r = from; r < n; r++)
      if ((!valid || valid[r]) && slot(r, k)) {
        kmin = std::min(kmin, k);
        kmax = std::max(kmax, k);
      }
  };
  if (type_ == Type::Int64) {
    const int64_t* v = c.values_as<int64_t>();
    scan([v](size_t r, int64_t& x) { x = v[r]; return true; });
  } else if (type_ == Type::Int32) {
    const int32_t* v = c.values_as<int32_t>();
    scan([v](size_t r, int64_t& x) { x = v[r]; return true; });
  } else if (type_ == Type::Double) {
    const double* v = c.values_as<double>();
    scan([v](size_t r, int64_t& x) { return double_slot(v[r], x); });
  }
  if (kmin > kmax) return;  // no key with a slot
  int64_t hi = int64_t(lo_ + int64_t(dir_.size())) - 1;
  if (!dir_.empty() && kmin >= lo_ && kmax <= hi) return;
  int64_t new_lo = dir_.empty() ? kmin : std::min(kmin, lo_);
  int64_t new_hi = dir_.empty() ? kmax : std::max(kmax, hi);
  // The span in unsigned arithmetic: keys far apart (INT64_MIN and INT64_MAX) do not overflow.
  uint64_t span = uint64_t(new_hi) - uint64_t(new_lo);
  size_t limit = std::min(kMaxDirect, std::max<size_t>(4096, 16 * (groups + n)));
  if (span >= limit) return;
  std::vector<uint32_t> dir(size_t(span) + 1, 0);
  for (size_t i = 0; i < dir_.size(); i++) dir[size_t(lo_ - new_lo) + i] = dir_[i];
  for (auto it = hash_.begin(); it != hash_.end();) {  // keys now inside the range move over
    if (slot_of_raw(it->first, k) && k >= new_lo && k <= new_hi) {
      dir[size_t(k - new_lo)] = uint32_t(it->second + 1);
      it = hash_.erase(it);
    } else {
      ++it;
    }
  }
  dir_ = std::move(dir);
  lo_ = new_lo;
}

void FixedKeyIndex::assign(const Column& c, size_t n, size_t groups, std::vector<size_t>& gid,
                           const std::function<size_t(size_t)>& add, const std::function<size_t(size_t)>& null) {
  gid.resize(n);
  bool direct = c.field.type == type_ && !c.field.list;
  // One loop per key type, so that the per-row work is a load, a subtraction and a compare.
  // The first key with a slot outside the array widens it (once per call, over the rows
  // left), so a batch whose keys all fit pays no extra pass.
  auto loop = [&](auto slot) {
    uint32_t* dir = dir_.data();
    uint64_t size = direct ? dir_.size() : 0;
    uint64_t lo = uint64_t(lo_);
    bool widened = !direct;
    const uint8_t* valid = c.valid.empty() ? nullptr : c.valid.data();
    size_t* out = gid.data();
    int64_t k;
    for (size_t r = 0; r < n; r++) {
      if (valid && !valid[r]) {
        out[r] = null(r);
        continue;
      }
      bool has = slot(r, k);
      if (has && uint64_t(k) - lo >= size && !widened) {
        widened = true;
        widen(c, r, n, groups);
        dir = dir_.data();
        size = dir_.size();
        lo = uint64_t(lo_);
      }
      if (has && uint64_t(k) - lo < size) {
        uint32_t& s = dir[uint64_t(k) - lo];
        if (!s) s = uint32_t(add(r) + 1);
        out[r] = s - 1;
        continue;
      }
      auto [it, fresh] = hash_.try_emplace(raw_key(c, r, width_), 0);
      if (fresh) it->second = add(r);
      out[r] = it->second;
    }
  };
  if (direct && type_ == Type::Int64) {
    const int64_t* v = c.values_as<int64_t>();
    loop([v](size_t r, int64_t& k) { k = v[r]; return true; });
  } else if (direct && type_ == Type::Int32) {
    const int32_t* v = c.values_as<int32_t>();
    loop([v](size_t r, int64_t& k) { k = v[r]; return true; });
  } else if (direct && type_ == Type::Double) {
    const double* v = c.values_as<double>();
    loop([v](size_t r, int64_t& k) { return double_slot(v[r], k); });
  } else {  // every key through the hash map
    loop([](size_t, int64_t&) { return false; });
  }
}

}  // namespace astrolake::engine
