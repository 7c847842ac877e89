// FITS binary (and ASCII) table input through cfitsio. Scalar columns map to scalar fields,
// fixed vector columns (TFORM "3E") and variable-length arrays ("PD") to list fields.
// TNULL integers, undefined logicals and NaN floats become nulls. Scaled integer columns
// (TSCAL/TZERO) are read at their physical type, which cfitsio reports: "I" with
// TZERO=32768 is uint16, a scaled "J" is double, and so on.
#include <fitsio.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string_view>
#include <cstdio>
#include <cstring>

#include "catalog/input.h"

namespace astrolake::catalog {

using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;

namespace {

// Bytes outside printable ASCII as \xNN, so that a damaged header cannot put control
// characters (or half a UTF-8 sequence) into a message on someone's terminal.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      char b[5];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return out;
}

std::string trim_blanks(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return std::string(v);
}

// Keywords whose value must be a quoted string (table keywords cfitsio copies into fixed-size
// buffers while it moves to the table).
bool is_string_keyword(const std::string& k) {
  for (const char* p : {"TTYPE", "TFORM", "TUNIT", "TDIM", "TDISP"})
    if (k.rfind(p, 0) == 0 && k.size() > std::strlen(p)) return true;
  return k == "XTENSION" || k == "EXTNAME";
}

// cfitsio 4.2 (Debian 12) copies some header values into fixed-size buffers without a length
// check: a card such as `TTYPE1  ======...` (no space after '=', a long unquoted value)
// overflows one and the C library aborts the whole process. So the headers cfitsio walks to
// reach the first table (every HDU up to and including it) are checked against the card rules
// it relies on first. Headers that end early or do not parse are left to cfitsio, which
// reports them. Compressed files (.gz, .fz) are read by cfitsio alone.
void check_header_cards(const std::string& path) {
  std::string l = path;
  for (char& c : l) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (l.ends_with(".gz") || l.ends_with(".fz")) return;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return;
  struct Closer {
    FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  uint64_t start = 0;
  for (int hdu = 1; hdu <= 1000; hdu++) {
    std::map<std::string, std::string> values;
    int64_t cards = 0;
    for (bool end = false; !end; cards++) {
      char c[80];
      if (std::fread(c, 1, 80, f) != 80) return;
      std::string key = trim_blanks(std::string_view(c, 8));
      // Not where an extension starts: the data sizes were not understood, stop checking.
      if (cards == 0 && hdu > 1 && key != "XTENSION") return;
      if (key == "END") {
        end = true;
        continue;
      }
      if (c[8] != '=') continue;  // commentary card
      auto bad = [&](const std::string& why) {
        throw InputError(path + ": HDU " + std::to_string(hdu) + ", header card " + std::to_string(cards + 1) + " (" +
                         printable(key) + "): " + why + "; the file is damaged");
      };
      if (c[9] != ' ') bad("'=' must be followed by a space");
      std::string v = trim_blanks(std::string_view(c + 10, 70));
      if (is_string_keyword(key) && (v.empty() || v[0] != '\''))
        bad("the value must be a quoted string, found " + printable(v.substr(0, 20)));
      values[key] = v;
    }
    const std::string& x = values["XTENSION"];
    if (hdu > 1 && (x.rfind("'BINTABLE", 0) == 0 || x.rfind("'TABLE", 0) == 0)) return;
    // Skip the data: |BITPIX|/8 * GCOUNT * (PCOUNT + NAXIS1 * ... * NAXISn), in 2880-byte blocks.
    auto num = [&](const std::string& k, int64_t dflt) -> int64_t {
      auto it = values.find(k);
      if (it == values.end()) return dflt;
      char* e = nullptr;
      long long n = std::strtoll(it->second.c_str(), &e, 10);
      return e == it->second.c_str() ? -1 : n;
    };
    int64_t bitpix = num("BITPIX", -1), naxis = num("NAXIS", -1), pcount = num("PCOUNT", 0), gcount = num("GCOUNT", 1);
    if (bitpix == -1 || naxis < 0 || naxis > 999 || pcount < 0 || gcount < 0 || values.count("GROUPS")) return;
    uint64_t bytes = naxis > 0 ? 1 : 0;
    for (int64_t i = 1; i <= naxis; i++) {
      int64_t n = num("NAXIS" + std::to_string(i), -1);
      if (n < 0 || (n > 0 && bytes > (uint64_t(1) << 50) / uint64_t(n))) return;
      bytes *= uint64_t(n);
    }
    bytes = (bytes + uint64_t(pcount)) * uint64_t(gcount) * uint64_t(std::abs(bitpix) / 8);
    uint64_t header = (uint64_t(cards) * 80 + 2879) / 2880 * 2880;
    start += header + (bytes + 2879) / 2880 * 2880;
    if (start > (uint64_t(1) << 50) || std::fseek(f, long(start), SEEK_SET) != 0) return;
  }
}

struct FitsCol {
  int num = 0;           // 1-based cfitsio column number
  int fits_type = 0;     // cfitsio datatype code used for reading
  int64_t repeat = 1;
  bool variable = false; // P/Q descriptor column
  bool bits = false;     // "X" column
};

class FitsReader : public InputReader {
 public:
  FitsReader(const std::string& path, const InputOptions& opts) : opts_(opts) {
    path_ = path;
    int status = 0;
    check_header_cards(path);
    try {
      // On some failures (no table HDU) cfitsio returns an error with the file still open.
      if (fits_open_table(&f_, path.c_str(), READONLY, &status)) fail("cannot open a FITS table", status);
      read_header();
    } catch (...) {
      close();  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  ~FitsReader() override { close(); }

  int64_t total_rows() const override { return rows_; }

  bool next(Table& out) override {
    out.columns.clear();
    if (next_row_ >= rows_) return false;
    int64_t n = std::min(chunk_, rows_ - next_row_);
    chunk_start_ = next_row_;
    for (size_t i = 0; i < cols_.size(); ++i) out.columns.push_back(read_column(i, next_row_ + 1, n));
    next_row_ += n;
    return true;
  }

 private:
  void close() {
    int status = 0;
    if (f_) fits_close_file(f_, &status);
    f_ = nullptr;
  }

  void read_header() {
    int status = 0;
    // The file's bytes (decompressed, for .gz): no array or string in it can be longer.
    file_bytes_ = f_->Fptr->logfilesize;
    int ncols = 0;
    LONGLONG nrows = 0;
    fits_get_num_rowsll(f_, &nrows, &status);
    fits_get_num_cols(f_, &ncols, &status);
    if (status) fail("cannot read the table header", status);
    rows_ = nrows;
    // The table's rows and heap must be in the file: a header claiming more (a damaged
    // NAXIS1, NAXIS2 or PCOUNT) would make cfitsio allocate or seek far beyond it.
    const LONGLONG row_bytes = f_->Fptr->rowlength, heap = f_->Fptr->heapsize;
    if (row_bytes < 0 || nrows < 0 || heap < 0 || (nrows > 0 && row_bytes > file_bytes_ / nrows) ||
        row_bytes * nrows > file_bytes_ - heap)
      throw InputError(path_ + ": the table header claims " + std::to_string(nrows) + " rows of " +
                       std::to_string(row_bytes) + " bytes and a heap of " + std::to_string(heap) +
                       " bytes, more than the file's " + std::to_string(file_bytes_) + " bytes; the file is damaged");
    for (int c = 1; c <= ncols; ++c) add_column(c);
    check_unique_names(path_, schema_);
    // Bytes per row decide the chunk: about 64 MiB of row data at most.
    int64_t width = 0;
    for (auto& fc : cols_) width += 8 * std::max<int64_t>(1, fc.repeat);
    chunk_ = std::max<int64_t>(1, std::min<int64_t>(opts_.chunk_rows, (64 << 20) / std::max<int64_t>(1, width)));
  }

  // cfitsio's messages quote header bytes, which may be anything: keep them printable.
  [[noreturn]] void fail(const std::string& what, int status) const {
    char text[FLEN_STATUS] = {0};
    fits_get_errstatus(status, text);
    char msg[FLEN_ERRMSG];
    std::string detail;
    while (fits_read_errmsg(msg)) detail += std::string("; ") + msg;  // also clears the stack
    throw InputError(path_ + ": " + printable(what + ": " + text + detail));
  }

  // A length read from the file (a vector repeat count, a variable-length array descriptor)
  // is checked against the file's size before anything is allocated for it: each element
  // takes at least one byte (one bit for "X"), so a longer array cannot be in the file.
  void check_length(const std::string& col, int64_t elements, bool bits, const std::string& where) const {
    int64_t bytes = bits ? elements / 8 : elements;
    if (elements < 0 || bytes > file_bytes_)
      throw InputError(path_ + ": column '" + printable(col) + "'" + where + ": an array of " + std::to_string(elements) +
                       " elements cannot fit in the file (" + std::to_string(file_bytes_) + " bytes); the file is damaged");
  }

  void add_column(int c) {
    int status = 0;
    char key[FLEN_KEYWORD], name[FLEN_VALUE] = {0};
    fits_make_keyn("TTYPE", c, key, &status);
    if (fits_read_key(f_, TSTRING, key, name, nullptr, &status)) {
      status = 0;
      std::snprintf(name, sizeof name, "col%d", c);
    }
    int type = 0;
    LONGLONG repeat = 0, width = 0;
    if (fits_get_eqcoltypell(f_, c, &type, &repeat, &width, &status)) fail("column " + std::to_string(c), status);
    FitsCol fc;
    fc.num = c;
    fc.variable = type < 0;
    type = std::abs(type);
    fc.repeat = repeat;
    if (!fc.variable && rows_ > 0) check_length(name, repeat, type == TBIT, "");
    Field f;
    f.name = name;
    f.nullable = true;
    switch (type) {
      case TBIT: f.type = Type::Bool; fc.fits_type = TLOGICAL; fc.bits = true; break;
      case TBYTE: f.type = Type::UInt8; fc.fits_type = TBYTE; break;
      case TSBYTE: f.type = Type::Int8; fc.fits_type = TSBYTE; break;
      case TLOGICAL: f.type = Type::Bool; fc.fits_type = TLOGICAL; break;
      case TSTRING: f.type = Type::String; fc.fits_type = TSTRING; break;
      case TUSHORT: f.type = Type::UInt16; fc.fits_type = TUSHORT; break;
      case TSHORT: f.type = Type::Int16; fc.fits_type = TSHORT; break;
      case TUINT: case TULONG: f.type = Type::UInt32; fc.fits_type = TUINT; break;
      case TINT: case TLONG: f.type = Type::Int32; fc.fits_type = TINT; break;
      case TFLOAT: f.type = Type::Float; fc.fits_type = TFLOAT; break;
      case TULONGLONG: f.type = Type::UInt64; fc.fits_type = TULONGLONG; break;
      case TLONGLONG: f.type = Type::Int64; fc.fits_type = TLONGLONG; break;
      case TDOUBLE: f.type = Type::Double; fc.fits_type = TDOUBLE; break;
      default:
        throw InputError(path_ + ": column '" + printable(f.name) + "' has an unsupported FITS type (code " +
                         std::to_string(type) + ", e.g. complex)");
    }
    if (type != TSTRING && (fc.variable || repeat != 1)) {
      if (repeat == 0 && !fc.variable) return;  // "0E": no data at all, nothing to import
      f.list = true;
      f.element_nullable = true;
    }
    schema_.push_back(f);
    cols_.push_back(fc);
  }

  // Appends `count` elements starting at (row, first element) to col's values with validity.
  void read_values(Column& col, const FitsCol& fc, int64_t row, int64_t count) {
    if (count == 0) return;
    int status = 0, anynul = 0;
    size_t w = parquet::type_width(col.field.type);
    size_t old = col.data.size();
    col.data.resize(old + size_t(count) * w);
    std::vector<char> nulls(size_t(count), 0);
    if (fc.bits) {
      // cfitsio reads bits one row at a time.
      std::vector<char> bits(static_cast<size_t>(count));
      if (fits_read_col_bit(f_, fc.num, row, 1, count, bits.data(), &status)) fail("column '" + col.field.name + "'", status);
      for (int64_t i = 0; i < count; ++i) col.data.data()[old + size_t(i)] = bits[size_t(i)] ? 1 : 0;
    } else {
      void* dst = col.data.data() + old;
      if (fits_read_colnull(f_, fc.fits_type, fc.num, row, 1, count, dst, nulls.data(), &anynul, &status))
        fail("column '" + col.field.name + "' rows from " + std::to_string(row), status);
      if (col.field.type == Type::Bool) {
        uint8_t* p = col.data.data() + old;
        for (int64_t i = 0; i < count; ++i) p[i] = p[i] ? 1 : 0;
      }
    }
    // NaN floats are nulls too (cfitsio flags them, but be explicit about it).
    if (col.field.type == Type::Double || col.field.type == Type::Float) {
      for (int64_t i = 0; i < count; ++i) {
        double v = col.field.type == Type::Double ? reinterpret_cast<double*>(col.data.data() + old)[i]
                                                  : reinterpret_cast<float*>(col.data.data() + old)[i];
        if (std::isnan(v)) nulls[size_t(i)] = 1, anynul = 1;
      }
    }
    // Validity is materialised on the first null (empty means "no nulls so far").
    size_t before = old / std::max<size_t>(1, w);
    if (anynul || !col.valid.empty()) {
      if (col.valid.size() < before) col.valid.resize(before, 1);
      for (int64_t i = 0; i < count; ++i) col.valid.push_back(nulls[size_t(i)] ? 0 : 1);
    }
  }

  Column read_column(size_t i, int64_t first_row, int64_t n) {
    const FitsCol& fc = cols_[i];
    Column col(schema_[i]);
    int status = 0;
    if (col.field.type == Type::String) {
      for (int64_t r = 0; r < n; ++r) {
        int64_t len = fc.repeat;
        if (fc.variable) {
          LONGLONG l = 0, off = 0;
          if (fits_read_descriptll(f_, fc.num, first_row + r, &l, &off, &status)) fail("column '" + col.field.name + "'", status);
          check_length(col.field.name, l, false, " row " + std::to_string(first_row + r));
          len = l;
        }
        std::string s(size_t(len) + 1, '\0');
        char* arr[1] = {s.data()};
        int anynul = 0;
        char nulstr[] = "";
        if (fits_read_col_str(f_, fc.num, first_row + r, 1, 1, nulstr, arr, &anynul, &status))
          fail("column '" + col.field.name + "' row " + std::to_string(first_row + r), status);
        size_t e = std::strlen(s.c_str());
        while (e > 0 && s[e - 1] == ' ') --e;  // FITS pads strings with blanks
        col.push_string(std::string_view(s.data(), e));
      }
      return col;
    }
    if (!col.field.list) {
      read_values(col, fc, first_row, n);
      return col;
    }
    col.list_offsets.push_back(0);
    if (!fc.variable) {
      read_values(col, fc, first_row, n * fc.repeat);
      for (int64_t r = 0; r < n; ++r) col.list_offsets.push_back((r + 1) * fc.repeat);
      return col;
    }
    for (int64_t r = 0; r < n; ++r) {
      LONGLONG len = 0, off = 0;
      if (fits_read_descriptll(f_, fc.num, first_row + r, &len, &off, &status)) fail("column '" + col.field.name + "'", status);
      check_length(col.field.name, len, fc.bits, " row " + std::to_string(first_row + r));
      read_values(col, fc, first_row + r, len);
      col.list_offsets.push_back(col.list_offsets.back() + len);
    }
    return col;
  }

  InputOptions opts_;
  fitsfile* f_ = nullptr;
  int64_t rows_ = 0, next_row_ = 0, chunk_ = 65536, file_bytes_ = 0;
  std::vector<FitsCol> cols_;
};

}  // namespace

std::unique_ptr<InputReader> open_fits(const std::string& path, const InputOptions& opts) {
  return std::make_unique<FitsReader>(path, opts);
}

}  // namespace astrolake::catalog
