#include "catalog/spill.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "storage/output.h"
#include "storage/source.h"

namespace astrolake::catalog {

using parquet::Column;
using parquet::Table;
using parquet::Type;

Table empty_table(const std::vector<parquet::Field>& fields) {
  Table t;
  for (const auto& f : fields) t.columns.emplace_back(f);
  return t;
}

namespace {

// Appends element values [lo, hi) of src (not list-aware) to dst's element arrays.
void append_values(Column& dst, const Column& src, size_t lo, size_t hi) {
  size_t w = parquet::type_width(src.field.type);
  size_t before = dst.values();
  if (w == 0) {
    if (dst.offsets.empty()) dst.offsets.push_back(0);
    int64_t base = dst.offsets.back();
    int64_t s0 = src.offsets.empty() ? 0 : src.offsets[lo];
    if (hi > lo) {
      int64_t s1 = src.offsets[hi];
      dst.data.append(src.data.data() + s0, size_t(s1 - s0));
      for (size_t i = lo; i < hi; ++i) dst.offsets.push_back(base + (src.offsets[i + 1] - s0));
    }
  } else if (hi > lo) {
    dst.data.append(src.data.data() + lo * w, (hi - lo) * w);
  }
  if (!src.valid.empty()) {
    if (dst.valid.empty()) dst.valid.assign(before, 1);
    dst.valid.insert(dst.valid.end(), src.valid.begin() + ptrdiff_t(lo), src.valid.begin() + ptrdiff_t(hi));
  } else if (!dst.valid.empty()) {
    dst.valid.insert(dst.valid.end(), hi - lo, 1);
  }
}

void append_list_rows(Column& dst, const Column& src, size_t begin, size_t end) {
  if (dst.list_offsets.empty()) dst.list_offsets.push_back(0);
  size_t before = dst.rows();
  for (size_t r = begin; r < end; ++r) {
    size_t lo = size_t(src.list_offsets[r]), hi = size_t(src.list_offsets[r + 1]);
    append_values(dst, src, lo, hi);
    dst.list_offsets.push_back(dst.list_offsets.back() + int64_t(hi - lo));
  }
  if (!src.list_valid.empty()) {
    if (dst.list_valid.empty()) dst.list_valid.assign(before, 1);
    dst.list_valid.insert(dst.list_valid.end(), src.list_valid.begin() + ptrdiff_t(begin),
                          src.list_valid.begin() + ptrdiff_t(end));
  } else if (!dst.list_valid.empty()) {
    dst.list_valid.insert(dst.list_valid.end(), end - begin, 1);
  }
}

}  // namespace

void append_range(Column& dst, const Column& src, size_t begin, size_t end) {
  if (src.field.list) {
    append_list_rows(dst, src, begin, end);
  } else {
    append_values(dst, src, begin, end);
  }
}

void append_range(Table& dst, const Table& src, size_t begin, size_t end) {
  for (size_t c = 0; c < src.columns.size(); ++c) append_range(dst.columns[c], src.columns[c], begin, end);
}

void append_rows(Column& dst, const Column& src, const uint32_t* idx, size_t n) {
  if (src.field.list) {
    for (size_t i = 0; i < n; ++i) append_list_rows(dst, src, idx[i], idx[i] + 1);
    return;
  }
  size_t w = parquet::type_width(src.field.type);
  size_t before = dst.values();
  if (w == 0) {
    if (dst.offsets.empty()) dst.offsets.push_back(0);
    for (size_t i = 0; i < n; ++i) {
      std::string_view s = src.string_at(idx[i]);
      dst.data.append(s.data(), s.size());
      dst.offsets.push_back(int64_t(dst.data.size()));
    }
  } else {
    size_t old = dst.data.size();
    dst.data.resize(old + n * w);
    uint8_t* out = dst.data.data() + old;
    const uint8_t* in = src.data.data();
    if (w == 8) {
      for (size_t i = 0; i < n; ++i) std::memcpy(out + i * 8, in + size_t(idx[i]) * 8, 8);
    } else {
      for (size_t i = 0; i < n; ++i) std::memcpy(out + i * w, in + size_t(idx[i]) * w, w);
    }
  }
  if (!src.valid.empty()) {
    if (dst.valid.empty()) dst.valid.assign(before, 1);
    for (size_t i = 0; i < n; ++i) dst.valid.push_back(src.valid[idx[i]]);
  } else if (!dst.valid.empty()) {
    dst.valid.insert(dst.valid.end(), n, 1);
  }
}

void append_rows(Table& dst, const Table& src, const uint32_t* idx, size_t n) {
  for (size_t c = 0; c < src.columns.size(); ++c) append_rows(dst.columns[c], src.columns[c], idx, n);
}

size_t table_bytes(const Table& t) {
  size_t b = 0;
  for (const auto& c : t.columns)
    b += c.data.size() + c.offsets.size() * 8 + c.valid.size() + c.list_offsets.size() * 8 + c.list_valid.size();
  return b;
}

namespace {

template <class T> void put_vec(std::vector<uint8_t>& out, const T* p, uint64_t n) {
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(&n), reinterpret_cast<const uint8_t*>(&n) + 8);
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(p), reinterpret_cast<const uint8_t*>(p) + n * sizeof(T));
}

struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  const std::string& path;
  uint64_t u64() {
    if (end - p < 8) throw std::runtime_error(path + ": spill file truncated");
    uint64_t v;
    std::memcpy(&v, p, 8);
    p += 8;
    return v;
  }
  template <class T> void vec(std::vector<T>& v) {
    uint64_t n = u64();
    if (uint64_t(end - p) / sizeof(T) < n) throw std::runtime_error(path + ": spill file truncated");
    v.resize(n);
    std::memcpy(v.data(), p, n * sizeof(T));
    p += n * sizeof(T);
  }
  void buf(parquet::Buffer& b) {
    uint64_t n = u64();
    if (uint64_t(end - p) < n) throw std::runtime_error(path + ": spill file truncated");
    b.clear();
    b.append(p, n);
    p += n;
  }
};

constexpr uint64_t kSpillMagic = 0x4c4c495053414c41ull;  // "ALSPILL" marker per chunk

}  // namespace

void spill_append(const std::string& path, const Table& t) {
  std::vector<uint8_t> out;
  out.reserve(table_bytes(t) + 64 + t.columns.size() * 48);
  uint64_t magic = kSpillMagic, ncols = t.columns.size();
  out.insert(out.end(), reinterpret_cast<uint8_t*>(&magic), reinterpret_cast<uint8_t*>(&magic) + 8);
  out.insert(out.end(), reinterpret_cast<uint8_t*>(&ncols), reinterpret_cast<uint8_t*>(&ncols) + 8);
  for (const auto& c : t.columns) {
    put_vec(out, c.data.data(), c.data.size());
    put_vec(out, c.offsets.data(), c.offsets.size());
    put_vec(out, c.valid.data(), c.valid.size());
    put_vec(out, c.list_offsets.data(), c.list_offsets.size());
    put_vec(out, c.list_valid.data(), c.list_valid.size());
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw storage::IoError(path + ": cannot open spill file: " + std::strerror(errno));
  try {
    storage::write_all(fd, out.data(), out.size(), path + " (spill file)");
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw storage::IoError(path + ": cannot write spill file: " + std::strerror(errno));
}

Table spill_read(const std::string& path, const std::vector<parquet::Field>& fields) {
  Table result = empty_table(fields);
  auto src = storage::open_file(path);
  uint64_t size = src->size();
  std::vector<uint8_t> bytes;
  std::span<const uint8_t> view = src->view(0, size);
  if (view.empty() && size > 0) {
    bytes.resize(size);
    src->read(0, bytes);
    view = bytes;
  }
  Cursor cur{view.data(), view.data() + view.size(), path};
  while (cur.p < cur.end) {
    if (cur.u64() != kSpillMagic) throw std::runtime_error(path + ": bad spill chunk");
    uint64_t ncols = cur.u64();
    if (ncols != fields.size()) throw std::runtime_error(path + ": spill chunk has the wrong column count");
    Table chunk = empty_table(fields);
    for (auto& c : chunk.columns) {
      cur.buf(c.data);
      cur.vec(c.offsets);
      cur.vec(c.valid);
      cur.vec(c.list_offsets);
      cur.vec(c.list_valid);
    }
    append_range(result, chunk, 0, chunk.rows());
  }
  return result;
}

}  // namespace astrolake::catalog
