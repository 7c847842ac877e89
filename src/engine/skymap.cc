#include "engine/skymap.h"

#include <fcntl.h>
#include <fitsio.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "catalog/progress.h"
#include "engine/column_ops.h"
#include "engine/spatial_search.h"
#include "sky/geometry.h"
#include "sky/healpix.h"
#include "storage/output.h"

namespace astrolake::engine {

const char* skymap_agg_name(SkymapAgg a) {
  switch (a) {
    case SkymapAgg::Count: return "count";
    case SkymapAgg::Sum: return "sum";
    case SkymapAgg::Mean: return "mean";
    case SkymapAgg::Min: return "min";
    case SkymapAgg::Max: return "max";
  }
  return "?";
}

SkymapAgg parse_skymap_agg(const std::string& spec, std::string& column) {
  size_t colon = spec.find(':');
  std::string fn = spec.substr(0, colon);
  column = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (fn == "count") {
    if (!column.empty()) throw std::invalid_argument("--agg count takes no column, got '" + spec + "'");
    return SkymapAgg::Count;
  }
  SkymapAgg a;
  if (fn == "sum") a = SkymapAgg::Sum;
  else if (fn == "mean") a = SkymapAgg::Mean;
  else if (fn == "min") a = SkymapAgg::Min;
  else if (fn == "max") a = SkymapAgg::Max;
  else
    throw std::invalid_argument("--agg: unknown aggregate '" + fn + "' (count, sum:COL, mean:COL, min:COL, max:COL)");
  if (column.empty()) throw std::invalid_argument("--agg " + fn + " needs a column: " + fn + ":COLUMN");
  return a;
}

SkymapResult compute_skymap(const catalog::Catalog& cat, const SkymapOptions& opt) {
  if (opt.order < 0 || opt.order > kSkymapMaxOrder)
    throw std::invalid_argument("skymap: order must be in [0, " + std::to_string(kSkymapMaxOrder) + "], got " +
                                std::to_string(opt.order));
  if (cat.ra_column().empty() || cat.dec_column().empty())
    throw std::invalid_argument(cat.dir() + ": catalog has no ra/dec columns");
  std::vector<std::string> cols = {cat.ra_column(), cat.dec_column()};
  bool agg = opt.agg != SkymapAgg::Count;
  if (agg) {
    parquet::Field f = select_fields(cat, {opt.column})[0];
    if (!is_numeric(f.type) || f.list)
      throw std::invalid_argument(cat.dir() + ": column '" + opt.column + "' is " + parquet::type_name(f.type) +
                                  (f.list ? " list" : "") + ", not numeric");
    cols.push_back(opt.column);
  }
  select_fields(cat, cols);
  size_t npix = size_t(12) << (2 * opt.order);
  SkymapResult m;
  m.order = opt.order;
  m.agg = opt.agg;
  m.column = opt.column;
  m.counts.assign(npix, 0);
  std::vector<double> acc;
  if (agg) {
    double init = opt.agg == SkymapAgg::Min ? std::numeric_limits<double>::infinity()
                  : opt.agg == SkymapAgg::Max ? -std::numeric_limits<double>::infinity()
                                              : 0.0;
    acc.assign(npix, init);
  }
  const std::string& hcol = cat.healpix_column();
  const bool use_hp = !agg && !hcol.empty() && cat.healpix_order() == 29;
  const int shift = 2 * (29 - opt.order);
  const int64_t kNpix29 = int64_t(12) << 58;
  std::mutex mu;
  catalog::Progress progress("skymap", int64_t(cat.partitions().size()), opt.progress);
  ordered_parallel(
      cat.partitions().size(), opt.threads,
      [&](size_t i) {
        // Counts: the stored order-29 index holds the pixel at every coarser order
        // (nested scheme: drop 2 bits per order), so one int64 column replaces ra, dec
        // and the trigonometry. Partitions whose index column has nulls or bad values
        // take the ra/dec path below.
        if (use_hp && cat.partitions()[i].order >= 0) {
          parquet::Table h = cat.read_partition(i, {hcol});
          const parquet::Column& hc = h.columns[0];
          const int64_t* hp = hc.values_as<int64_t>();
          size_t n = hc.rows();
          bool ok = hc.field.type == parquet::Type::Int64 && !hc.field.list && hc.valid.empty();
          for (size_t r = 0; ok && r < n; r++) ok = hp[r] >= 0 && hp[r] < kNpix29;
          if (ok) {
            std::lock_guard<std::mutex> lock(mu);
            for (size_t r = 0; r < n; r++) m.counts[size_t(hp[r] >> shift)]++;
            m.rows += int64_t(n);
            return parquet::Table{};
          }
        }
        parquet::Table t = cat.read_partition(i, cols);
        std::vector<double> ra = column_f64(t.columns[0]), dec = column_f64(t.columns[1]);
        std::vector<double> v;
        if (agg) v = column_f64(t.columns[2]);
        std::vector<int64_t> pix(t.rows(), -1);
        for (size_t r = 0; r < t.rows(); r++) {
          if (t.columns[0].is_null(r) || t.columns[1].is_null(r)) continue;
          if (!std::isfinite(ra[r]) || !(dec[r] >= -90 && dec[r] <= 90)) continue;
          if (agg && (t.columns[2].is_null(r) || std::isnan(v[r]))) continue;
          pix[r] = sky::ang2pix(opt.order, ra[r], dec[r]);
        }
        std::lock_guard<std::mutex> lock(mu);
        for (size_t r = 0; r < pix.size(); r++) {
          if (pix[r] < 0) continue;
          size_t p = size_t(pix[r]);
          m.counts[p]++;
          m.rows++;
          if (!agg) continue;
          if (opt.agg == SkymapAgg::Min) acc[p] = std::min(acc[p], v[r]);
          else if (opt.agg == SkymapAgg::Max) acc[p] = std::max(acc[p], v[r]);
          else acc[p] += v[r];
        }
        return parquet::Table{};
      },
      [&](size_t, parquet::Table&&) { progress.add(1); });
  progress.finish();
  m.values.resize(npix);
  for (size_t p = 0; p < npix; p++) {
    if (!agg) {
      m.values[p] = double(m.counts[p]);
    } else if (opt.agg == SkymapAgg::Sum) {
      m.values[p] = acc[p];
    } else if (m.counts[p] == 0) {
      m.values[p] = kHealpixUnseen;
    } else {
      m.values[p] = opt.agg == SkymapAgg::Mean ? acc[p] / double(m.counts[p]) : acc[p];
    }
  }
  return m;
}

namespace {

// Maps are written whole to a temp file and renamed into place (storage/output.h); FITS and
// PNG are not streamed, so a pipe or device as the target is refused up front.
std::string temp_for(const std::string& path, const char* format) {
  storage::TargetKind k = storage::output_target(path);
  if (k == storage::TargetKind::Stream)
    throw std::invalid_argument(path + ": a " + std::string(format) +
                                " file cannot be streamed into a pipe or device; write it to a file");
  if (k == storage::TargetKind::Directory) throw std::invalid_argument(path + ": is a directory");
  return storage::temp_path(path);
}

}  // namespace

void write_skymap_fits_double(const std::string& path, int order, const std::vector<double>& values,
                              const std::string& column_name) {
  int64_t npix = int64_t(12) << (2 * order);
  if (int64_t(values.size()) != npix)
    throw std::invalid_argument(path + ": map has " + std::to_string(values.size()) + " values, order " +
                                std::to_string(order) + " needs " + std::to_string(npix));
  std::string tmp = temp_for(path, "FITS");
  std::remove(tmp.c_str());
  fitsfile* f = nullptr;
  int status = 0;
  auto fail = [&](const std::string& what) {
    int err = errno;  // cfitsio's "error writing to FITS file" does not say why; errno does
    char text[FLEN_STATUS] = {0};
    fits_get_errstatus(status, text);
    std::string why = text;
    if ((status == WRITE_ERROR || status == FILE_NOT_CREATED) && err) why += std::string(": ") + std::strerror(err);
    int s = 0;
    if (f) fits_close_file(f, &s);
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": " + what + ": " + why);
  };
  if (fits_create_diskfile(&f, tmp.c_str(), &status)) fail("cannot create");  // no cfitsio name syntax
  if (fits_create_img(f, BYTE_IMG, 0, nullptr, &status)) fail("primary HDU");
  std::string name = column_name;
  char* ttype[] = {name.data()};
  char tform_s[] = "1D";
  char* tform[] = {tform_s};
  char extname[] = "xtension";
  if (fits_create_tbl(f, BINARY_TBL, npix, 1, ttype, tform, nullptr, extname, &status)) fail("table");
  long nside = 1L << order, first = 0, last = long(npix - 1);
  fits_write_key(f, TSTRING, "PIXTYPE", (void*)"HEALPIX", "HEALPIX pixelisation", &status);
  fits_write_key(f, TSTRING, "ORDERING", (void*)"NESTED", "Pixel ordering scheme", &status);
  fits_write_key(f, TSTRING, "COORDSYS", (void*)"C", "Ecliptic, Galactic or Celestial (equatorial)", &status);
  fits_write_key(f, TLONG, "NSIDE", &nside, "Resolution parameter of HEALPIX", &status);
  fits_write_key(f, TLONG, "FIRSTPIX", &first, "First pixel # (0 based)", &status);
  fits_write_key(f, TLONG, "LASTPIX", &last, "Last pixel # (0 based)", &status);
  fits_write_key(f, TSTRING, "INDXSCHM", (void*)"IMPLICIT", "Indexing: IMPLICIT or EXPLICIT", &status);
  fits_write_key(f, TSTRING, "OBJECT", (void*)"FULLSKY", "Sky coverage", &status);
  if (status) fail("header");
  if (fits_write_col(f, TDOUBLE, 1, 1, 1, npix, const_cast<double*>(values.data()), &status)) fail("data");
  if (fits_close_file(f, &status)) {
    f = nullptr;
    fail("close");
  }
  storage::publish_file(tmp, path);
}

// --- PNG -----------------------------------------------------------------------------------
namespace {

struct Rgb {
  uint8_t r, g, b;
};

// A perceptually ordered dark-blue -> green -> yellow ramp (anchor colours of viridis).
Rgb ramp(double t) {
  static const double a[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(t, 0.0, 1.0) * 4;
  int i = std::min(3, int(t));
  double f = t - i;
  return {uint8_t(a[i][0] + f * (a[i + 1][0] - a[i][0])), uint8_t(a[i][1] + f * (a[i + 1][1] - a[i][1])),
          uint8_t(a[i][2] + f * (a[i + 1][2] - a[i][2]))};
}

// 5x7 glyphs, rows top to bottom, '#' = ink. Lower case is drawn as upper case.
const char* glyph(char c) {
  switch (std::toupper(static_cast<unsigned char>(c))) {
    case 'A': return ".###.#...##...#######...##...##...#";
    case 'B': return "####.#...##...#####.#...##...#####.";
    case 'C': return ".###.#...##....#....#....#...#.###.";
    case 'D': return "####.#...##...##...##...##...#####.";
    case 'E': return "######....#....####.#....#....#####";
    case 'F': return "######....#....####.#....#....#....";
    case 'G': return ".###.#...##....#.####...##...#.####";
    case 'H': return "#...##...##...#######...##...##...#";
    case 'I': return ".###...#....#....#....#....#...###.";
    case 'J': return "..###...#....#....#....#.#..#..##..";
    case 'K': return "#...##..#.#.#..##...#.#..#..#.#...#";
    case 'L': return "#....#....#....#....#....#....#####";
    case 'M': return "#...###.###.#.##...##...##...##...#";
    case 'N': return "#...###..##.#.##..###...##...##...#";
    case 'O': return ".###.#...##...##...##...##...#.###.";
    case 'P': return "####.#...##...#####.#....#....#....";
    case 'Q': return ".###.#...##...##...##.#.##..#..##.#";
    case 'R': return "####.#...##...#####.#.#..#..#.#...#";
    case 'S': return ".####.....#.....###.....#....#####.";
    case 'T': return "#####..#....#....#....#....#....#..";
    case 'U': return "#...##...##...##...##...##...#.###.";
    case 'V': return "#...##...##...##...##...#.#.#...#..";
    case 'W': return "#...##...##...##.#.##.#.##.#.#.#.#.";
    case 'X': return "#...##...#.#.#...#...#.#.#...##...#";
    case 'Y': return "#...##...#.#.#...#....#....#....#..";
    case 'Z': return "#####....#...#...#...#...#....#####";
    case '0': return ".###.#...##..###.#.###..##...#.###.";
    case '1': return "..#...##....#....#....#....#...###.";
    case '2': return ".###.#...#....#...#...#...#...#####";
    case '3': return "#####...#...#.....#.....##...#.###.";
    case '4': return "...#...##..#.#.#..#.#####...#....#.";
    case '5': return "######....####.....#....##...#.###.";
    case '6': return "..##..#...#....####.#...##...#.###.";
    case '7': return "#####....#...#...#...#....#....#...";
    case '8': return ".###.#...##...#.###.#...##...#.###.";
    case '9': return ".###.#...##...#.####....#...#..##..";
    case '.': return "..........................##...##..";
    case ',': return ".....................##...##...#...";
    case ':': return ".......##...##.........##...##.....";
    case '-': return "................###................";
    case '_': return "..............................#####";
    case '=': return "..........#####.....#####..........";
    case '(': return "...#...#...#....#....#.....#.....#.";
    case ')': return ".#.....#.....#....#....#...#...#...";
    case '/': return ".........#...#...#...#...#.........";
    case '^': return "..#...#.#.#...#....................";
    case '"': return ".#.#..#.#..#.#.....................";
    case '+': return ".......#....#..#####..#....#.......";
    default: return "...................................";
  }
}

class Image {
 public:
  Image(int w, int h) : w_(w), h_(h), px_(size_t(w) * h * 3, 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &px_[(size_t(y) * w_ + x) * 3];
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void blend(int x, int y, Rgb c, double a) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &px_[(size_t(y) * w_ + x) * 3];
    p[0] = uint8_t(p[0] * (1 - a) + c.r * a);
    p[1] = uint8_t(p[1] * (1 - a) + c.g * a);
    p[2] = uint8_t(p[2] * (1 - a) + c.b * a);
  }
  // Text at (x, y) top-left, each font pixel drawn as a scale x scale block.
  void text(int x, int y, const std::string& s, int scale, Rgb c) {
    for (char ch : s) {
      const char* g = glyph(ch);
      for (int r = 0; r < 7; r++)
        for (int k = 0; k < 5; k++)
          if (g[r * 5 + k] == '#')
            for (int a = 0; a < scale; a++)
              for (int b = 0; b < scale; b++) set(x + k * scale + b, y + r * scale + a, c);
      x += 6 * scale;
    }
  }
  static int text_width(const std::string& s, int scale) { return int(s.size()) * 6 * scale; }
  int w() const { return w_; }
  int h() const { return h_; }
  const uint8_t* row(int y) const { return &px_[size_t(y) * w_ * 3]; }

 private:
  int w_, h_;
  std::vector<uint8_t> px_;
};

void save_png(const std::string& path, const Image& img) {
  std::string tmp = temp_for(path, "PNG");
  FILE* fp = std::fopen(tmp.c_str(), "wb");
  if (!fp) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  // libpng's default handlers print to stderr; errors are reported once, by the exception.
  auto quiet_error = [](png_structp p, png_const_charp) { png_longjmp(p, 1); };
  auto quiet_warning = [](png_structp, png_const_charp) {};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, quiet_error, quiet_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    int err = errno;
    bool io = std::ferror(fp);
    png_destroy_write_struct(&png, &info);
    std::fclose(fp);
    std::remove(tmp.c_str());
    throw std::runtime_error(path + (io ? ": cannot write: " + std::string(std::strerror(err)) : ": PNG encoding failed"));
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, png_uint_32(img.w()), png_uint_32(img.h()), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < img.h(); y++) png_write_row(png, const_cast<png_bytep>(img.row(y)));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fflush(fp) != 0 || std::ferror(fp)) {
    int err = errno;
    std::fclose(fp);
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(err));
  }
  if (std::fclose(fp) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(err));
  }
  storage::publish_file(tmp, path);
}

// Mollweide forward: (lon, lat) radians -> (x, y) in [-2√2, 2√2] x [-√2, √2].
void mollweide(double lon, double lat, double& x, double& y) {
  double t = lat;
  double target = sky::kPi * std::sin(lat);
  for (int i = 0; i < 50; i++) {
    double f = 2 * t + std::sin(2 * t) - target;
    double d = 2 + 2 * std::cos(2 * t);
    if (std::fabs(d) < 1e-12) break;
    double step = f / d;
    t -= step;
    if (std::fabs(step) < 1e-12) break;
  }
  x = 2 * std::sqrt(2.0) / sky::kPi * lon * std::cos(t);
  y = std::sqrt(2.0) * std::sin(t);
}

std::string fmt_value(double v) {
  char b[32];
  if (std::fabs(v) >= 1e5 || (std::fabs(v) < 1e-2 && v != 0)) std::snprintf(b, sizeof b, "%.2e", v);
  else std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

}  // namespace

void write_mollweide_png(const std::string& path, const SkymapResult& map, const std::string& title, int width) {
  width = std::max(200, width);
  const int W = width, mapH = W / 2, top = 40, bottom = 60, H = mapH + top + bottom;
  Image img(W, H);
  bool log_scale = map.agg == SkymapAgg::Count || map.agg == SkymapAgg::Sum;
  auto seen = [&](size_t p) { return map.counts[p] > 0; };
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t p = 0; p < map.values.size(); p++) {
    if (!seen(p)) continue;
    double v = map.values[p];
    if (log_scale) {
      if (!(v > 0)) continue;
      v = std::log10(v);
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool any = lo <= hi;
  if (any && hi == lo) hi = lo + 1;
  const Rgb empty{215, 215, 215};
  const double cx = W / 2.0, cy = top + mapH / 2.0, sx = (W / 2.0 - 4) / (2 * std::sqrt(2.0)),
               sy = (mapH / 2.0 - 2) / std::sqrt(2.0);
  for (int py = top; py < top + mapH; py++) {
    for (int px = 0; px < W; px++) {
      double x = (px + 0.5 - cx) / sx, y = (cy - (py + 0.5)) / sy;
      if (x * x / 8 + y * y / 2 > 1) continue;
      double t = std::asin(std::clamp(y / std::sqrt(2.0), -1.0, 1.0));
      double lat = std::asin(std::clamp((2 * t + std::sin(2 * t)) / sky::kPi, -1.0, 1.0));
      double ct = std::cos(t);
      double lon = ct > 1e-12 ? sky::kPi * x / (2 * std::sqrt(2.0) * ct) : 0;
      double ra = sky::wrap_ra(-lon / sky::kDeg), dec = lat / sky::kDeg;
      size_t p = size_t(sky::ang2pix(map.order, ra, dec));
      Rgb c = empty;
      if (any && seen(p)) {
        double v = map.values[p];
        if (log_scale) v = v > 0 ? std::log10(v) : lo;
        c = ramp((v - lo) / (hi - lo));
      }
      img.set(px, py, c);
    }
  }
  // Graticule: meridians every 30 degrees of RA, parallels every 30 degrees of Dec.
  const Rgb grid{255, 255, 255};
  auto plot = [&](double ra_deg, double dec_deg) {
    double lon = -(ra_deg > 180 ? ra_deg - 360 : ra_deg) * sky::kDeg;
    double x, y;
    mollweide(lon, dec_deg * sky::kDeg, x, y);
    img.blend(int(cx + x * sx), int(cy - y * sy), grid, 0.55);
  };
  for (int m = 0; m < 360; m += 30)
    for (double d = -90; d <= 90; d += 0.05) plot(m == 180 ? 179.999 : m, d);
  plot(180.001, 0);
  for (int d = -60; d <= 60; d += 30)
    for (double r = -179.999; r <= 179.999; r += 0.05) plot(r < 0 ? r + 360 : r, d);
  // RA labels along the equator.
  for (int m = 0; m < 360; m += 60) {
    double x, y;
    mollweide(-(m > 180 ? m - 360 : m) * sky::kDeg, 0, x, y);
    std::string s = std::to_string(m);
    img.text(int(cx + x * sx) + 3, int(cy) + 3, s, 1, {40, 40, 40});
  }
  // Title.
  const Rgb ink{20, 20, 20};
  int scale = Image::text_width(title, 2) <= W - 20 ? 2 : 1;
  img.text((W - Image::text_width(title, scale)) / 2, 12, title, scale, ink);
  // Colour bar.
  int bx0 = W / 4, bx1 = W * 3 / 4, by0 = top + mapH + 12, by1 = by0 + 14;
  for (int x = bx0; x < bx1; x++) {
    Rgb c = ramp(double(x - bx0) / (bx1 - bx0 - 1));
    for (int y = by0; y < by1; y++) img.set(x, y, c);
  }
  std::string lo_s = any ? fmt_value(log_scale ? std::pow(10, lo) : lo) : "no data";
  std::string hi_s = any ? fmt_value(log_scale ? std::pow(10, hi) : hi) : "";
  img.text(bx0 - Image::text_width(lo_s, 1) - 6, by0 + 4, lo_s, 1, ink);
  img.text(bx1 + 6, by0 + 4, hi_s, 1, ink);
  std::string what = std::string(skymap_agg_name(map.agg)) + (map.column.empty() ? "" : " " + map.column) +
                     (log_scale ? " (log scale)" : "") + ", order " + std::to_string(map.order) + ", grey: no data";
  img.text((W - Image::text_width(what, 1)) / 2, by1 + 8, what, 1, ink);
  save_png(path, img);
}

}  // namespace astrolake::engine
