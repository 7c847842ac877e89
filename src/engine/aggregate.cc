#include "engine/aggregate.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "engine/column_ops.h"

namespace astrolake::engine {

const char* agg_name(AggFunc f) {
  switch (f) {
    case AggFunc::CountStar: case AggFunc::Count: return "count";
    case AggFunc::Sum: return "sum";
    case AggFunc::Avg: return "avg";
    case AggFunc::Min: return "min";
    case AggFunc::Max: return "max";
    case AggFunc::StddevSamp: return "stddev";
    case AggFunc::StringAgg: return "string_agg";
  }
  return "?";
}

std::vector<Field> aggregate_schema(const std::vector<Field>& input, const std::vector<NamedExpr>& keys,
                                    std::vector<AggSpec>& aggs) {
  std::vector<Field> out;
  for (const auto& k : keys) {
    Field f = infer_type(*k.expr, input);
    if (!k.name.empty()) f.name = k.name;
    out.push_back(f);
  }
  for (auto& a : aggs) {
    Field f;
    f.nullable = true;
    if (a.func == AggFunc::CountStar) {
      if (a.name.empty()) a.name = "count(*)";
      f.type = Type::Int64;
      f.nullable = false;
    } else {
      if (!a.arg) throw ExprError(std::string("aggregate ") + agg_name(a.func) + ": missing argument");
      Field arg = infer_type(*a.arg, input);
      if (a.name.empty())
        a.name = std::string(agg_name(a.func)) + "(" + (a.distinct ? "DISTINCT " : "") + a.arg->to_string() + ")";
      if (a.distinct && a.func != AggFunc::Count)
        throw ExprError(std::string("aggregate ") + agg_name(a.func) + ": DISTINCT is supported only for count");
      bool numeric = !arg.list && is_numeric(arg.type);
      switch (a.func) {
        case AggFunc::Count: f.type = Type::Int64; f.nullable = false; break;
        case AggFunc::Sum: case AggFunc::Avg: case AggFunc::StddevSamp:
          if (!numeric)
            throw ExprError(std::string("aggregate ") + agg_name(a.func) + ": argument (" + arg.name +
                            ") must be numeric, got " + parquet::type_name(arg.type));
          f.type = (a.func == AggFunc::Sum && is_intlike(arg.type)) ? Type::Int64 : Type::Double;
          break;
        case AggFunc::Min: case AggFunc::Max:
          if (arg.list)
            throw ExprError(std::string("aggregate ") + agg_name(a.func) + ": argument (" + arg.name + ") is a list");
          f.type = arg.type;
          break;
        case AggFunc::StringAgg:
          if (arg.list || !is_stringlike(arg.type))
            throw ExprError(std::string("aggregate string_agg: argument (") + arg.name + ") must be a string, got " +
                            (arg.list ? "a list" : parquet::type_name(arg.type)));
          f.type = Type::String;
          break;
        default: break;
      }
    }
    f.name = a.name;
    out.push_back(f);
  }
  return out;
}

HashAggregator::HashAggregator(const std::vector<Field>& input, std::vector<NamedExpr> keys, std::vector<AggSpec> aggs,
                               QueryContext* ctx)
    : input_(input), keys_(std::move(keys)), aggs_(std::move(aggs)), charge_(ctx) {
  schema_ = aggregate_schema(input_, keys_, aggs_);
  for (size_t k = 0; k < keys_.size(); k++) {
    key_values_.emplace_back(schema_[k]);
    if (schema_[k].list) key_values_.back().list_offsets.push_back(0);
    if (is_stringlike(schema_[k].type)) key_values_.back().offsets.push_back(0);
  }
  for (const auto& a : aggs_) arg_types_.push_back(a.arg ? infer_type(*a.arg, input_).type : Type::Int64);
  if (keys_.size() == 1 && !schema_[0].list && !is_stringlike(schema_[0].type)) {
    raw_width_ = parquet::type_width(schema_[0].type);
    fixed_.emplace(schema_[0].type, raw_width_);
  }
  states_.resize(aggs_.size());
}

void HashAggregator::grow(size_t n) {
  for (size_t a = 0; a < aggs_.size(); a++) {
    State& s = states_[a];
    s.count.resize(n, 0);
    switch (aggs_[a].func) {
      case AggFunc::Sum: s.isum.resize(n, 0); s.dsum.resize(n, 0); break;
      case AggFunc::Avg: s.isum.resize(n, 0); s.dsum.resize(n, 0); break;
      case AggFunc::StddevSamp: s.mean.resize(n, 0); s.m2.resize(n, 0); break;
      case AggFunc::Min: case AggFunc::Max:
        if (is_stringlike(arg_types_[a])) s.sext.resize(n);
        else if (is_intlike(arg_types_[a])) s.iext.resize(n, 0);
        else s.dext.resize(n, 0);
        break;
      case AggFunc::Count: if (aggs_[a].distinct) s.distinct.resize(n); break;
      case AggFunc::StringAgg: s.sext.resize(n); break;
      default: break;
    }
  }
}

size_t HashAggregator::group_of(const std::string& key, const KeyColumns& key_cols, size_t row) {
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  index_.emplace(key, group_keys_.size());
  return add_group(key, key_cols, row);
}

size_t HashAggregator::add_group(const std::string& key, const KeyColumns& key_cols, size_t row) {
  size_t g = group_keys_.size();
  group_keys_.push_back(key);
  for (size_t k = 0; k < key_cols.size(); k++) {
    if (key_cols[k]->field.list) append_column(key_values_[k], take(*key_cols[k], {int64_t(row)}));
    else append_row(key_values_[k], *key_cols[k], row);
  }
  bytes_ += 2 * key.size() + 96 + 48 * aggs_.size();
  grow(g + 1);
  return g;
}


void HashAggregator::update_charge() { charge_.set(bytes_ + (fixed_ ? fixed_->bytes() : 0)); }

namespace {
// Integer sums are kept in 128 bits; a total outside BIGINT is an error, not a wrapped value.
std::vector<int64_t> narrow_sums(const std::string& name, const std::vector<__int128>& sums) {
  std::vector<int64_t> out(sums.size());
  for (size_t g = 0; g < sums.size(); g++) {
    if (sums[g] > INT64_MAX || sums[g] < INT64_MIN)
      throw ExprError("integer overflow: sum (" + name + ") is outside the BIGINT range; sum CAST(x AS DOUBLE) instead");
    out[g] = int64_t(sums[g]);
  }
  return out;
}

// Parallel (Chan et al.) combination of two (count, mean, M2) summaries.
void combine_moments(int64_t& n, double& mean, double& m2, int64_t nb, double mb, double m2b) {
  if (nb == 0) return;
  if (n == 0) {
    n = nb;
    mean = mb;
    m2 = m2b;
    return;
  }
  double total = double(n + nb);
  double delta = mb - mean;
  mean += delta * double(nb) / total;
  m2 += m2b + delta * delta * double(n) * double(nb) / total;
  n += nb;
}

bool better(AggFunc f, int c) { return f == AggFunc::Min ? c < 0 : c > 0; }
}  // namespace

void HashAggregator::consume(const Table& batch) {
  if (fold_selected(batch, nullptr)) return;
  size_t n = batch.rows();
  std::vector<Column> kc;
  KeyColumns kp;
  if (raw_width_) {
    if (const Column* c = evaluate_key_fast(*keys_[0].expr, batch, key_buf_)) kp.push_back(c);
  }
  if (kp.empty()) {
    for (const auto& k : keys_) kc.push_back(evaluate(*k.expr, batch));
    for (const auto& c : kc) kp.push_back(&c);
  }
  std::vector<size_t>& gid = gid_;  // reused: a fresh vector per batch costs page faults
  gid.resize(n);
  std::string key;
  if (raw_width_) {
    // One fixed-width key: groups are found by the key's value; only a NULL key goes through
    // the encoded-key index.
    const Column& c = *kp[0];
    fixed_->assign(
        c, n, group_keys_.size(), gid, [&](size_t r) { return add_group(std::string(), kp, r); },
        [&](size_t r) {
          key.clear();
          append_key(key, c, r);
          return group_of(key, kp, r);
        });
  } else {
    for (size_t r = 0; r < n; r++) {
      key.clear();
      for (const Column* c : kp) append_key(key, *c, r);
      gid[r] = group_of(key, kp, r);
    }
  }
  for (size_t a = 0; a < aggs_.size(); a++) {
    const AggSpec& spec = aggs_[a];
    State& s = states_[a];
    if (spec.func == AggFunc::CountStar) {
      for (size_t r = 0; r < n; r++) s.count[gid[r]]++;
      continue;
    }
    if (fold_grouped(a, batch, gid)) continue;
    Column c = evaluate(*spec.arg, batch);
    Type t = c.field.type;
    bool lst = c.field.list;
    std::vector<int64_t> iv;
    std::vector<double> dv;
    if (!lst && is_intlike(t)) iv = column_i64(c);
    if (!lst && is_numeric(t)) dv = column_f64(c);
    for (size_t r = 0; r < n; r++) {
      if (c.is_null(r)) continue;
      size_t g = gid[r];
      switch (spec.func) {
        case AggFunc::Count:
          if (spec.distinct) {
            key.clear();
            append_key(key, c, r);
            if (s.distinct[g].insert(key).second) {
              s.count[g]++;
              bytes_ += key.size() + 48;
            }
          } else {
            s.count[g]++;
          }
          break;
        case AggFunc::Sum:
        case AggFunc::Avg:
          if (is_intlike(t)) s.isum[g] += iv[r];
          else s.dsum[g] += dv[r];
          s.count[g]++;
          break;
        case AggFunc::StddevSamp: {
          int64_t cnt = ++s.count[g];
          double delta = dv[r] - s.mean[g];
          s.mean[g] += delta / double(cnt);
          s.m2[g] += delta * (dv[r] - s.mean[g]);
          break;
        }
        case AggFunc::StringAgg: {
          std::string_view v = c.string_at(r);
          if (s.count[g]++) s.sext[g] += spec.separator;
          s.sext[g] += v;
          bytes_ += v.size() + spec.separator.size();
          break;
        }
        case AggFunc::Min: case AggFunc::Max: {
          bool first = s.count[g]++ == 0;
          if (is_stringlike(t)) {
            std::string_view v = c.string_at(r);
            if (first || better(spec.func, v.compare(s.sext[g]))) s.sext[g].assign(v);
          } else if (is_intlike(t)) {
            if (first || better(spec.func, iv[r] < s.iext[g] ? -1 : (iv[r] > s.iext[g] ? 1 : 0))) s.iext[g] = iv[r];
          } else {
            double x = dv[r], y = s.dext[g];
            int cmp = std::isnan(x) ? (std::isnan(y) ? 0 : 1) : (std::isnan(y) ? -1 : (x < y ? -1 : (x > y ? 1 : 0)));
            if (first || better(spec.func, cmp)) s.dext[g] = x;
          }
          break;
        }
        default: break;
      }
    }
  }
  update_charge();
}

namespace {
bool plain_numeric(Type t) {
  switch (t) {
    case Type::Int8: case Type::Int16: case Type::Int32: case Type::Int64:
    case Type::UInt8: case Type::UInt16: case Type::UInt32: case Type::Float: case Type::Double: return true;
    default: return false;
  }
}

// Adds the selected non-null values (every row when `sel` is null) in row order: the same
// additions, in the same order, as the generic path, so the sums are bit for bit the same.
template <class T, class S>
void sum_selected(const Column& c, const Selection* sel, S& sum, int64_t& count) {
  const T* v = c.values_as<T>();
  const uint8_t* valid = c.valid.empty() ? nullptr : c.valid.data();
  S acc = sum;
  if (!sel) {
    size_t n = c.rows();
    for (size_t i = 0; i < n; i++)
      if (!valid || valid[i]) {
        acc += S(v[i]);
        count++;
      }
  } else if (!valid) {
    for (uint32_t i : *sel) acc += S(v[i]);
    count += int64_t(sel->size());
  } else {
    for (uint32_t i : *sel)
      if (valid[i]) {
        acc += S(v[i]);
        count++;
      }
  }
  sum = acc;
}

int64_t count_selected(const Column& c, const Selection* sel) {
  size_t n = sel ? sel->size() : c.rows();
  if (c.valid.empty()) return int64_t(n);
  int64_t k = 0;
  for (size_t j = 0; j < n; j++) k += c.valid[sel ? (*sel)[j] : j] != 0;
  return k;
}
}  // namespace

namespace {
// Per-group sums of a plain numeric column read in place, in row order (as the generic path).
template <class T, class S>
void sum_grouped(const Column& c, const std::vector<size_t>& gid, std::vector<S>& sum, std::vector<int64_t>& count) {
  const T* v = c.values_as<T>();
  const uint8_t* valid = c.valid.empty() ? nullptr : c.valid.data();
  for (size_t r = 0; r < gid.size(); r++)
    if (!valid || valid[r]) {
      sum[gid[r]] += S(v[r]);
      count[gid[r]]++;
    }
}
}  // namespace

const Column* HashAggregator::foldable_column(size_t a, const Table& batch) const {
  const AggSpec& spec = aggs_[a];
  bool foldable = (spec.func == AggFunc::Count && !spec.distinct) || spec.func == AggFunc::Sum ||
                  spec.func == AggFunc::Avg;
  if (!foldable || spec.arg->kind != ExprKind::Column) return nullptr;
  int i = batch.find(spec.arg->name);
  if (i < 0) return nullptr;
  const Column& c = batch.columns[size_t(i)];
  if (c.field.list || !plain_numeric(c.field.type) || c.field.type != arg_types_[a]) return nullptr;
  return &c;
}

bool HashAggregator::fold_grouped(size_t a, const Table& batch, const std::vector<size_t>& gid) {
  const Column* col = foldable_column(a, batch);
  if (!col) return false;
  const Column& c = *col;
  State& s = states_[a];
  if (aggs_[a].func == AggFunc::Count) {
    for (size_t r = 0; r < gid.size(); r++) s.count[gid[r]] += !c.value_is_null(r);
    return true;
  }
  switch (c.field.type) {
    case Type::Int8: sum_grouped<int8_t>(c, gid, s.isum, s.count); break;
    case Type::Int16: sum_grouped<int16_t>(c, gid, s.isum, s.count); break;
    case Type::Int32: sum_grouped<int32_t>(c, gid, s.isum, s.count); break;
    case Type::Int64: sum_grouped<int64_t>(c, gid, s.isum, s.count); break;
    case Type::UInt8: sum_grouped<uint8_t>(c, gid, s.isum, s.count); break;
    case Type::UInt16: sum_grouped<uint16_t>(c, gid, s.isum, s.count); break;
    case Type::UInt32: sum_grouped<uint32_t>(c, gid, s.isum, s.count); break;
    case Type::Float: sum_grouped<float>(c, gid, s.dsum, s.count); break;
    default: sum_grouped<double>(c, gid, s.dsum, s.count); break;
  }
  return true;
}

bool HashAggregator::fold_selected(const Table& batch, const Selection* sel) {
  if (!keys_.empty()) return false;
  std::vector<const Column*> cols(aggs_.size(), nullptr);
  for (size_t a = 0; a < aggs_.size(); a++) {
    if (aggs_[a].func == AggFunc::CountStar) continue;
    cols[a] = foldable_column(a, batch);
    if (!cols[a]) return false;
  }
  size_t rows = sel ? sel->size() : batch.rows();
  if (rows == 0) return true;
  if (group_keys_.empty()) group_of(std::string(), {}, 0);
  for (size_t a = 0; a < aggs_.size(); a++) {
    State& s = states_[a];
    const Column* c = cols[a];
    if (!c) {
      s.count[0] += int64_t(rows);
      continue;
    }
    if (aggs_[a].func == AggFunc::Count) {
      s.count[0] += count_selected(*c, sel);
      continue;
    }
    switch (c->field.type) {
      case Type::Int8: sum_selected<int8_t>(*c, sel, s.isum[0], s.count[0]); break;
      case Type::Int16: sum_selected<int16_t>(*c, sel, s.isum[0], s.count[0]); break;
      case Type::Int32: sum_selected<int32_t>(*c, sel, s.isum[0], s.count[0]); break;
      case Type::Int64: sum_selected<int64_t>(*c, sel, s.isum[0], s.count[0]); break;
      case Type::UInt8: sum_selected<uint8_t>(*c, sel, s.isum[0], s.count[0]); break;
      case Type::UInt16: sum_selected<uint16_t>(*c, sel, s.isum[0], s.count[0]); break;
      case Type::UInt32: sum_selected<uint32_t>(*c, sel, s.isum[0], s.count[0]); break;
      case Type::Float: sum_selected<float>(*c, sel, s.dsum[0], s.count[0]); break;
      default: sum_selected<double>(*c, sel, s.dsum[0], s.count[0]); break;
    }
  }
  return true;
}

void HashAggregator::consume(const Table& batch, const Selection& sel) {
  if (fold_selected(batch, &sel) || sel.empty()) return;
  std::vector<uint8_t> keep(batch.rows(), 0);
  for (uint32_t i : sel) keep[i] = 1;
  consume(filter(batch, keep));
}

size_t HashAggregator::merge_by_encoded_key(HashAggregator& o, size_t og) {
  auto it = index_.find(o.group_keys_[og]);
  if (it != index_.end()) return it->second;
  size_t g = group_keys_.size();
  index_.emplace(o.group_keys_[og], g);
  group_keys_.push_back(o.group_keys_[og]);
  for (size_t k = 0; k < key_values_.size(); k++) {
    if (o.key_values_[k].field.list) append_column(key_values_[k], take(o.key_values_[k], {int64_t(og)}));
    else append_row(key_values_[k], o.key_values_[k], og);
  }
  bytes_ += 2 * o.group_keys_[og].size() + 96 + 48 * aggs_.size();
  grow(g + 1);
  return g;
}

void HashAggregator::merge(HashAggregator& o) {
  // First this aggregator's group of each of o's groups (new ones added in o's order), then
  // the states folded in that same order.
  std::vector<size_t> ogid(o.group_keys_.size());
  if (raw_width_) {
    KeyColumns kp{&o.key_values_[0]};
    fixed_->assign(
        o.key_values_[0], ogid.size(), group_keys_.size(), ogid,
        [&](size_t og) { return add_group(std::string(), kp, og); },
        [&](size_t og) { return merge_by_encoded_key(o, og); });
  } else {
    for (size_t og = 0; og < ogid.size(); og++) ogid[og] = merge_by_encoded_key(o, og);
  }
  for (size_t og = 0; og < o.group_keys_.size(); og++) {
    size_t g = ogid[og];
    for (size_t a = 0; a < aggs_.size(); a++) {
      State& s = states_[a];
      State& t = o.states_[a];
      AggFunc f = aggs_[a].func;
      Type ty = arg_types_[a];
      switch (f) {
        case AggFunc::CountStar: s.count[g] += t.count[og]; break;
        case AggFunc::Count:
          if (aggs_[a].distinct) {
            for (const auto& v : t.distinct[og])
              if (s.distinct[g].insert(v).second) bytes_ += v.size() + 48;
            s.count[g] = int64_t(s.distinct[g].size());
          } else {
            s.count[g] += t.count[og];
          }
          break;
        case AggFunc::Sum: case AggFunc::Avg:
          s.isum[g] += t.isum[og];
          s.dsum[g] += t.dsum[og];
          s.count[g] += t.count[og];
          break;
        case AggFunc::StddevSamp:
          combine_moments(s.count[g], s.mean[g], s.m2[g], t.count[og], t.mean[og], t.m2[og]);
          break;
        case AggFunc::StringAgg:
          if (t.count[og] == 0) break;
          if (s.count[g]) s.sext[g] += aggs_[a].separator;
          s.sext[g] += t.sext[og];
          s.count[g] += t.count[og];
          break;
        case AggFunc::Min: case AggFunc::Max: {
          if (t.count[og] == 0) break;
          bool first = s.count[g] == 0;
          s.count[g] += t.count[og];
          if (is_stringlike(ty)) {
            if (first || better(f, t.sext[og].compare(s.sext[g]))) s.sext[g] = t.sext[og];
          } else if (is_intlike(ty)) {
            int64_t x = t.iext[og], y = s.iext[g];
            if (first || better(f, x < y ? -1 : (x > y ? 1 : 0))) s.iext[g] = x;
          } else {
            double x = t.dext[og], y = s.dext[g];
            int cmp = std::isnan(x) ? (std::isnan(y) ? 0 : 1) : (std::isnan(y) ? -1 : (x < y ? -1 : (x > y ? 1 : 0)));
            if (first || better(f, cmp)) s.dext[g] = x;
          }
          break;
        }
      }
    }
  }
  update_charge();
}

Table HashAggregator::finish() {
  if (keys_.empty() && group_keys_.empty()) {
    index_.emplace("", 0);
    group_keys_.push_back("");
    grow(1);
  }
  size_t n = group_keys_.size();
  Table out;
  for (size_t k = 0; k < keys_.size(); k++) {
    out.columns.push_back(key_values_[k]);
    out.columns.back().field = schema_[k];
  }
  for (size_t a = 0; a < aggs_.size(); a++) {
    const State& s = states_[a];
    const Field& f = schema_[keys_.size() + a];
    std::vector<uint8_t> valid(n);
    for (size_t g = 0; g < n; g++) valid[g] = s.count[g] > 0;
    switch (aggs_[a].func) {
      case AggFunc::CountStar: case AggFunc::Count:
        out.columns.push_back(make_i64(f, s.count));
        break;
      case AggFunc::Sum:
        if (f.type == Type::Int64) out.columns.push_back(make_i64(f, narrow_sums(f.name, s.isum), valid));
        else out.columns.push_back(make_f64(f, s.dsum, valid));
        break;
      case AggFunc::Avg: {
        bool ints = is_intlike(arg_types_[a]);
        std::vector<double> v(n, 0);
        for (size_t g = 0; g < n; g++)
          if (s.count[g])
            v[g] = ints ? double((long double)s.isum[g] / (long double)s.count[g]) : s.dsum[g] / double(s.count[g]);
        out.columns.push_back(make_f64(f, v, valid));
        break;
      }
      case AggFunc::StddevSamp: {
        std::vector<double> v(n, 0);
        for (size_t g = 0; g < n; g++) {
          valid[g] = s.count[g] > 1;
          if (valid[g]) v[g] = std::sqrt(std::max(0.0, s.m2[g] / double(s.count[g] - 1)));
        }
        out.columns.push_back(make_f64(f, v, valid));
        break;
      }
      case AggFunc::StringAgg: {
        Column c(f);
        c.offsets.push_back(0);
        for (size_t g = 0; g < n; g++) {
          if (valid[g]) c.push_string(s.sext[g]);
          else c.push_null();
        }
        out.columns.push_back(std::move(c));
        break;
      }
      case AggFunc::Min: case AggFunc::Max: {
        Column c(f);
        if (is_stringlike(f.type)) c.offsets.push_back(0);
        for (size_t g = 0; g < n; g++) {
          if (!valid[g]) { c.push_null(); continue; }
          Value v;
          v.type = f.type;
          v.null = false;
          if (is_stringlike(f.type)) v.s = s.sext[g];
          else if (is_intlike(f.type)) v.i = s.iext[g];
          else v.d = s.dext[g];
          append_value(c, v);
        }
        out.columns.push_back(std::move(c));
        break;
      }
    }
  }
  return out;
}

Aggregate::Aggregate(OperatorPtr child, std::vector<NamedExpr> keys, std::vector<AggSpec> aggs, QueryContext* ctx)
    : child_(std::move(child)), agg_(child_->schema(), std::move(keys), std::move(aggs), ctx), ctx_(ctx) {}

std::optional<Table> Aggregate::next() {
  if (done_) return std::nullopt;
  while (auto b = child_->next()) {
    if (ctx_) ctx_->check();
    agg_.consume(*b);
  }
  if (ctx_) ctx_->check();
  done_ = true;
  return agg_.finish();
}

}  // namespace astrolake::engine
