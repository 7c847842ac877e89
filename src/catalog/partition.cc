#include "catalog/partition.h"

#include <algorithm>
#include <charconv>
#include <span>
#include <stdexcept>

#include "sky/healpix.h"
#include "storage/file_system.h"
#include "storage/source.h"

namespace astrolake::catalog {

int64_t healpix_to_spatial_index(int order, int64_t pixel) {
  return sky::first_child(pixel, order, sky::kMaxOrder);
}

void sort_partitions(std::vector<Partition>& parts) {
  std::stable_sort(parts.begin(), parts.end(), [](const Partition& a, const Partition& b) {
    bool sa = a.order >= 0, sb = b.order >= 0;
    if (sa != sb) return sa;  // spatial partitions first
    if (!sa) return false;    // keep non-spatial ones in their given order
    int64_t ia = healpix_to_spatial_index(a.order, a.pixel);
    int64_t ib = healpix_to_spatial_index(b.order, b.pixel);
    if (ia != ib) return ia < ib;
    return a.order < b.order;
  });
}

std::string pixel_stem(int order, int64_t pixel) {
  int64_t dir = (pixel / 10000) * 10000;
  return "Norder=" + std::to_string(order) + "/Dir=" + std::to_string(dir) + "/Npix=" + std::to_string(pixel);
}

std::string pixel_relative_path(int order, int64_t pixel, const std::string& suffix) {
  std::string stem = pixel_stem(order, pixel);
  if (suffix == "/" || suffix.empty()) return stem;  // a directory of files
  return stem + suffix;
}

std::string pixel_path(const std::string& dataset_dir, int order, int64_t pixel, const std::string& suffix) {
  return dataset_dir + "/" + pixel_relative_path(order, pixel, suffix);
}

namespace {

// Parses the decimal integer right after `key` in `s`; false if absent or not a number.
bool number_after(std::string_view s, std::string_view key, int64_t& out) {
  size_t at = s.rfind(key);
  if (at == std::string_view::npos) return false;
  // The key must start a path component.
  if (at != 0 && s[at - 1] != '/') return false;
  const char* b = s.data() + at + key.size();
  const char* e = s.data() + s.size();
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p != b && out >= 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_commas(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t c = line.find(',', pos);
    out.push_back(trim(line.substr(pos, c == std::string_view::npos ? std::string_view::npos : c - pos)));
    if (c == std::string_view::npos) break;
    pos = c + 1;
  }
  return out;
}

}  // namespace

bool parse_pixel_path(const std::string& path, int& order, int64_t& pixel) {
  int64_t o = 0, p = 0, d = 0;
  if (!number_after(path, "Norder=", o) || !number_after(path, "Npix=", p)) return false;
  if (o > sky::kMaxOrder) return false;
  if (p >= 12 * (int64_t(1) << (2 * o))) return false;
  // Dir is optional in old layouts, but when present it must agree with Npix.
  if (path.find("Dir=") != std::string::npos && number_after(path, "Dir=", d) && d != (p / 10000) * 10000)
    return false;
  order = int(o);
  pixel = p;
  return true;
}

std::vector<PixelId> read_partition_info(const std::string& path) {
  auto src = storage::open(path);
  std::string text(src->size(), '\0');
  if (!text.empty()) src->read(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  std::vector<PixelId> out;
  int order_col = -1, npix_col = -1;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    line_no++;
    if (trim(line).empty()) continue;
    std::vector<std::string_view> cells = split_commas(line);
    if (order_col < 0) {  // header
      for (size_t i = 0; i < cells.size(); i++) {
        if (cells[i] == "Norder") order_col = int(i);
        if (cells[i] == "Npix") npix_col = int(i);
      }
      if (order_col < 0 || npix_col < 0)
        throw std::runtime_error(path + ": line 1: header must name Norder and Npix columns, got '" +
                                 std::string(line) + "'");
      continue;
    }
    auto cell_int = [&](int col, const char* what) {
      if (size_t(col) >= cells.size())
        throw std::runtime_error(path + ": line " + std::to_string(line_no) + ": missing " + what);
      std::string_view c = cells[size_t(col)];
      int64_t v = 0;
      auto [p, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
      if (ec != std::errc() || p != c.data() + c.size() || v < 0)
        throw std::runtime_error(path + ": line " + std::to_string(line_no) + ": bad " + what + " '" +
                                 std::string(c) + "'");
      return v;
    };
    int64_t order = cell_int(order_col, "Norder");
    int64_t pixel = cell_int(npix_col, "Npix");
    if (order > sky::kMaxOrder)
      throw std::runtime_error(path + ": line " + std::to_string(line_no) + ": Norder " + std::to_string(order) +
                               " is above 29");
    if (pixel >= 12 * (int64_t(1) << (2 * order)))
      throw std::runtime_error(path + ": line " + std::to_string(line_no) + ": Npix " + std::to_string(pixel) +
                               " out of range for order " + std::to_string(order));
    out.push_back({int(order), pixel});
  }
  return out;
}

void write_partition_info(const std::string& path, const std::vector<PixelId>& pixels) {
  std::string text = "Norder,Npix\n";
  for (const auto& p : pixels) text += std::to_string(p.order) + "," + std::to_string(p.pixel) + "\n";
  storage::write_file_atomic(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                                            text.size()));
}

}  // namespace astrolake::catalog
