// Expat drives a small state machine: FIELDs become typed column builders, then TABLEDATA
// cells or the decoded BINARY/BINARY2 stream fill them. Handlers never throw through expat
// (a C library): they record the first error and stop the parser; the caller throws it.
#include "votable/reader.h"

#include <expat.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>

#include "storage/utf8.h"

namespace astrolake::votable {

namespace {

using parquet::Column;
using parquet::Type;

enum class Kind { Bool, Bit, UByte, Short, Int, Long, Float, Double, Char, UChar };

struct Col {
  FieldInfo info;
  Kind kind = Kind::Double;
  bool text = false;       // char/unicodeChar: a String column
  bool list = false;       // numeric/boolean array: a list column
  bool variable = false;   // last dimension '*'
  uint64_t count = 1;      // elements of a fixed array (or the bound of "n*"; 0 = unbounded)
  std::optional<std::string> null_text;  // VALUES null="..."
  std::optional<int64_t> null_int;       // the same, parsed, for integer columns
  Column col;
};

size_t elem_bytes(Kind k) {
  switch (k) {
    case Kind::Bool: case Kind::Bit: case Kind::UByte: case Kind::Char: return 1;
    case Kind::Short: case Kind::UChar: return 2;
    case Kind::Int: case Kind::Float: return 4;
    case Kind::Long: case Kind::Double: return 8;
  }
  return 1;
}

Type value_type(Kind k) {
  switch (k) {
    case Kind::Bool: case Kind::Bit: return Type::Bool;
    case Kind::UByte: case Kind::Short: return Type::Int16;
    case Kind::Int: return Type::Int32;
    case Kind::Long: return Type::Int64;
    case Kind::Float: return Type::Float;
    case Kind::Double: return Type::Double;
    case Kind::Char: case Kind::UChar: return Type::String;
  }
  return Type::Double;
}

std::string_view trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::strchr(" \t\r\n", s[a])) a++;
  while (b > a && std::strchr(" \t\r\n", s[b - 1])) b--;
  return s.substr(a, b - a);
}

// Local name of a possibly prefixed element ("vot:TABLE" -> "TABLE").
std::string_view local(const char* name) {
  const char* c = std::strrchr(name, ':');
  return c ? c + 1 : name;
}

class Reader {
 public:
  explicit Reader(const ReadLimits& l) : limits_(l), p_(XML_ParserCreate(nullptr)) {
    if (!p_) throw VotableError("VOTable: cannot create an XML parser");
    XML_SetUserData(p_, this);
    XML_SetElementHandler(p_, &Reader::on_start, &Reader::on_end);
    XML_SetCharacterDataHandler(p_, &Reader::on_text);
    // No DTDs: nothing in a VOTable needs one, and they are the way to entity bombs.
    XML_SetStartDoctypeDeclHandler(p_, &Reader::on_doctype);
  }
  ~Reader() { XML_ParserFree(p_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  void feed(const char* data, size_t n, bool final) {
    total_ += n;
    if (total_ > limits_.max_bytes)
      throw VotableError("VOTable: the document is larger than the limit of " + std::to_string(limits_.max_bytes) + " bytes");
    // XML_Parse takes an int length: feed large buffers in pieces.
    do {
      size_t piece = std::min<size_t>(n, 1 << 24);
      n -= piece;
      if (XML_Parse(p_, data, int(piece), final && n == 0) != XML_STATUS_OK) {
        if (!error_.empty()) throw VotableError(error_);
        throw VotableError("VOTable: not well-formed XML at line " + std::to_string(XML_GetCurrentLineNumber(p_)) +
                           ": " + XML_ErrorString(XML_GetErrorCode(p_)));
      }
      data += piece;
    } while (n > 0);
  }

  VoTable finish() {
    if (!seen_votable_) throw VotableError("VOTable: the document has no VOTABLE element");
    if (!table_done_) throw VotableError("VOTable: the document has no TABLE");
    VoTable out;
    out.name = table_name_;
    for (Col& c : cols_) {
      if (c.list && c.col.list_offsets.empty()) c.col.list_offsets.push_back(0);
      out.fields.push_back(c.info);
      out.table.columns.push_back(std::move(c.col));
    }
    return out;
  }

 private:
  // --- errors -----------------------------------------------------------------------------
  void fail(const std::string& msg) {
    if (error_.empty()) error_ = "VOTable line " + std::to_string(XML_GetCurrentLineNumber(p_)) + ": " + msg;
    XML_StopParser(p_, XML_FALSE);
  }
  bool failed() const { return !error_.empty(); }

  // --- expat callbacks --------------------------------------------------------------------
  static void XMLCALL on_start(void* ud, const XML_Char* name, const XML_Char** atts) {
    static_cast<Reader*>(ud)->start(local(name), atts);
  }
  static void XMLCALL on_end(void* ud, const XML_Char* name) { static_cast<Reader*>(ud)->end(local(name)); }
  static void XMLCALL on_text(void* ud, const XML_Char* s, int len) {
    Reader* r = static_cast<Reader*>(ud);
    if (r->collect_) r->text_.append(s, size_t(len));
  }
  static void XMLCALL on_doctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Reader*>(ud)->fail("a DOCTYPE is not allowed in a VOTable");
  }

  static std::string attr(const XML_Char** atts, const char* key) {
    for (size_t i = 0; atts[i]; i += 2)
      if (local(atts[i]) == key) return atts[i + 1];
    return "";
  }

  void start(std::string_view el, const XML_Char** atts) {
    if (failed()) return;
    depth_++;
    if (depth_ == 1) {
      if (el != "VOTABLE") return fail("the root element is <" + std::string(el) + ">, not <VOTABLE>");
      seen_votable_ = true;
      return;
    }
    if (table_done_) return;  // only the first TABLE is read
    if (el == "TABLE") {
      if (in_table_) return fail("a TABLE inside a TABLE");
      in_table_ = true;
      table_name_ = attr(atts, "name");
    } else if (!in_table_) {
      return;
    } else if (el == "FIELD") {
      if (in_data_) return fail("FIELD after DATA");
      if (cols_.size() >= limits_.max_columns)
        return fail("more than " + std::to_string(limits_.max_columns) + " FIELDs");
      add_field(atts);
      in_field_ = true;
    } else if (el == "VALUES" && in_field_) {
      Col& c = cols_.back();
      for (size_t i = 0; atts[i]; i += 2)
        if (local(atts[i]) == "null") c.null_text = atts[i + 1];
      int64_t v = 0;
      if (c.null_text && parse_int(trim(*c.null_text), c.kind, v)) c.null_int = v;
    } else if (el == "DESCRIPTION" && in_field_) {
      collect_ = true;
      text_.clear();
    } else if (el == "DATA") {
      if (cols_.empty()) return fail("a TABLE with DATA but no FIELD");
      in_data_ = true;
    } else if (el == "TABLEDATA" && in_data_) {
      format_ = Format::TableData;
    } else if ((el == "BINARY" || el == "BINARY2") && in_data_) {
      format_ = el == "BINARY" ? Format::Binary : Format::Binary2;
    } else if (el == "FITS" && in_data_) {
      fail("FITS serialisation is not supported; send TABLEDATA, BINARY or BINARY2");
    } else if (el == "STREAM" && in_data_) {
      if (!attr(atts, "href").empty()) return fail("a STREAM with href (external data) is not supported");
      std::string enc = attr(atts, "encoding");
      if (enc != "base64") return fail("STREAM encoding '" + enc + "' is not supported (only base64)");
      collect_ = true;
      text_.clear();
    } else if (el == "TR" && format_ == Format::TableData) {
      if (in_tr_) return fail("a TR inside a TR");
      if (rows_ >= limits_.max_rows) return fail("more than " + std::to_string(limits_.max_rows) + " rows");
      in_tr_ = true;
      cell_ = 0;
    } else if (el == "TD" && format_ == Format::TableData) {
      if (!in_tr_ || collect_) return fail("a TD outside a TR");
      collect_ = true;
      text_.clear();
    }
  }

  void end(std::string_view el) {
    if (failed()) return;
    depth_--;
    if (table_done_ || !in_table_) return;
    if (el == "TABLE") {
      in_table_ = false;
      table_done_ = true;
    } else if (el == "FIELD") {
      in_field_ = false;
    } else if (el == "DESCRIPTION" && in_field_) {
      cols_.back().info.description = std::string(trim(text_));
      collect_ = false;
    } else if (el == "TD" && format_ == Format::TableData && in_tr_) {
      collect_ = false;
      if (cell_ >= cols_.size()) return fail("row " + std::to_string(rows_ + 1) + " has more TD cells than the " +
                                             std::to_string(cols_.size()) + " FIELDs");
      text_cell(cols_[cell_], text_);
      cell_++;
    } else if (el == "TR" && format_ == Format::TableData) {
      in_tr_ = false;
      if (cell_ != cols_.size())
        return fail("row " + std::to_string(rows_ + 1) + " has " + std::to_string(cell_) + " TD cells but the table has " +
                    std::to_string(cols_.size()) + " FIELDs");
      rows_++;
    } else if (el == "STREAM" && collect_) {
      collect_ = false;
      std::string bytes;
      if (!decode_base64(text_, bytes)) return;
      text_.clear();
      text_.shrink_to_fit();
      binary_rows(bytes);
    }
  }

  // --- FIELD ------------------------------------------------------------------------------
  void add_field(const XML_Char** atts) {
    Col c;
    c.info.name = attr(atts, "name");
    c.info.id = attr(atts, "ID");
    c.info.datatype = attr(atts, "datatype");
    c.info.arraysize = attr(atts, "arraysize");
    c.info.unit = attr(atts, "unit");
    c.info.ucd = attr(atts, "ucd");
    c.info.utype = attr(atts, "utype");
    c.info.xtype = attr(atts, "xtype");
    if (c.info.name.empty()) c.info.name = !c.info.id.empty() ? c.info.id : "col" + std::to_string(cols_.size() + 1);
    for (const Col& o : cols_)
      if (o.info.name == c.info.name) return fail("two FIELDs are named '" + c.info.name + "'");
    static const std::pair<const char*, Kind> kinds[] = {
        {"boolean", Kind::Bool}, {"bit", Kind::Bit},     {"unsignedByte", Kind::UByte}, {"short", Kind::Short},
        {"int", Kind::Int},      {"long", Kind::Long},   {"float", Kind::Float},        {"double", Kind::Double},
        {"char", Kind::Char},    {"unicodeChar", Kind::UChar}};
    bool known = false;
    for (const auto& [n, k] : kinds)
      if (c.info.datatype == n) {
        c.kind = k;
        known = true;
      }
    if (!known)
      return fail("FIELD '" + c.info.name + "' has datatype '" + c.info.datatype +
                  "'; supported: boolean, bit, unsignedByte, short, int, long, float, double, char, unicodeChar");
    if (!parse_arraysize(c)) return;
    c.text = c.kind == Kind::Char || c.kind == Kind::UChar;
    c.list = !c.text && (c.variable || c.count != 1);
    parquet::Field f;
    f.name = c.info.name;
    f.type = value_type(c.kind);
    f.nullable = true;
    f.list = c.list;
    c.col = Column(f);
    if (c.list) c.col.list_offsets.push_back(0);
    cols_.push_back(std::move(c));
  }

  // "", "n", "n*", "*", "AxB", "Ax*": fixed element count, variable last dimension.
  bool parse_arraysize(Col& c) {
    std::string_view s = c.info.arraysize;
    if (s.empty()) return true;
    uint64_t product = 1;
    while (!s.empty()) {
      size_t x = s.find('x');
      std::string_view dim = s.substr(0, x);
      s = x == std::string_view::npos ? std::string_view() : s.substr(x + 1);
      bool star = !dim.empty() && dim.back() == '*';
      if (star) dim.remove_suffix(1);
      if (star && !s.empty()) return fail("FIELD '" + c.info.name + "': only the last arraysize dimension may be '*'"), false;
      uint64_t n = 0;
      if (!dim.empty()) {
        auto [end, ec] = std::from_chars(dim.data(), dim.data() + dim.size(), n);
        if (ec != std::errc() || end != dim.data() + dim.size() || n == 0)
          return fail("FIELD '" + c.info.name + "': bad arraysize '" + c.info.arraysize + "'"), false;
      } else if (!star) {
        return fail("FIELD '" + c.info.name + "': bad arraysize '" + c.info.arraysize + "'"), false;
      }
      if (star) {
        c.variable = true;
        c.count = dim.empty() ? 0 : product * n;  // bound of "n*", 0 if none
      } else {
        product *= n;
        if (product > limits_.max_array)
          return fail("FIELD '" + c.info.name + "': arraysize '" + c.info.arraysize + "' is above the limit of " +
                      std::to_string(limits_.max_array) + " elements"), false;
        c.count = product;
      }
    }
    return true;
  }

  // --- values -----------------------------------------------------------------------------
  void push_null(Col& c) {
    if (c.list) {
      if (c.col.list_valid.empty()) c.col.list_valid.assign(c.col.list_offsets.size() - 1, 1);
      c.col.list_valid.push_back(0);
      c.col.list_offsets.push_back(c.col.list_offsets.back());
    } else {
      c.col.push_null();
    }
  }
  void end_list(Col& c) {
    c.col.list_offsets.push_back(int64_t(c.col.values()));
    if (!c.col.list_valid.empty()) c.col.list_valid.push_back(1);
  }

  // Appends one parsed element (TABLEDATA token); false on a bad value.
  bool push_token(Col& c, std::string_view tok, bool& is_null) {
    is_null = false;
    switch (c.kind) {
      case Kind::Bool: case Kind::Bit: {
        char ch = tok.empty() ? '?' : tok[0];
        if (tok == "T" || tok == "t" || tok == "1" || tok == "true" || tok == "TRUE" || tok == "True") c.col.push<uint8_t>(1);
        else if (tok == "F" || tok == "f" || tok == "0" || tok == "false" || tok == "FALSE" || tok == "False") c.col.push<uint8_t>(0);
        else if (ch == '?' && tok.size() == 1) is_null = true;
        else return false;
        return true;
      }
      case Kind::UByte: case Kind::Short: case Kind::Int: case Kind::Long: {
        int64_t v = 0;
        if (!parse_int(tok, c.kind, v)) return false;
        push_int(c, v);
        return true;
      }
      case Kind::Float: case Kind::Double: {
        std::string_view t = tok;
        if (!t.empty() && t[0] == '+') t.remove_prefix(1);
        double d = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
        if (t.empty() || (ec != std::errc() && ec != std::errc::result_out_of_range) || end != t.data() + t.size()) return false;
        if (std::isnan(d) && !c.list) {
          is_null = true;
          return true;
        }
        if (c.kind == Kind::Float) c.col.push<float>(float(d));
        else c.col.push<double>(d);
        return true;
      }
      case Kind::Char: case Kind::UChar: break;
    }
    return false;
  }
  // An integer in decimal or 0x hex (hex gives the bit pattern, so 0xFFFF is a short -1), as
  // the value the column stores; false if it does not parse or does not fit.
  static bool parse_int(std::string_view t, Kind k, int64_t& out) {
    bool neg = !t.empty() && t[0] == '-';
    if (!t.empty() && (t[0] == '+' || t[0] == '-')) t.remove_prefix(1);
    bool hex = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
    if (hex) t.remove_prefix(2);
    uint64_t u = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), u, hex ? 16 : 10);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || (hex && neg)) return false;
    if (hex) {
      switch (k) {
        case Kind::UByte: if (u > 0xFF) return false; out = int64_t(u); return true;
        case Kind::Short: if (u > 0xFFFF) return false; out = int16_t(uint16_t(u)); return true;
        case Kind::Int: if (u > 0xFFFFFFFFull) return false; out = int32_t(uint32_t(u)); return true;
        default: out = int64_t(u); return true;
      }
    }
    if (u > (neg ? uint64_t(1) << 63 : uint64_t(INT64_MAX))) return false;
    int64_t v = neg ? int64_t(0 - u) : int64_t(u);
    switch (k) {
      case Kind::UByte: if (v < 0 || v > 255) return false; break;
      case Kind::Short: if (v < -32768 || v > 32767) return false; break;
      case Kind::Int: if (v < INT32_MIN || v > INT32_MAX) return false; break;
      default: break;
    }
    out = v;
    return true;
  }
  static void push_int(Col& c, int64_t v) {
    switch (c.kind) {
      case Kind::UByte: case Kind::Short: c.col.push<int16_t>(int16_t(v)); break;
      case Kind::Int: c.col.push<int32_t>(int32_t(v)); break;
      default: c.col.push<int64_t>(v); break;
    }
  }

  void text_cell(Col& c, const std::string& raw) {
    std::string_view s = c.text ? std::string_view(raw) : trim(raw);
    if (c.text) {
      if (s.empty() || (c.null_text && s == *c.null_text)) return push_null(c);
      if (s.size() > limits_.max_array * 4) return fail("a string in FIELD '" + c.info.name + "' is too long");
      // A scalar char or a fixed char[n] holds at most that many characters (trailing
      // whitespace is padding).
      c.col.push_string(c.count > 0 && !c.variable ? std::string(trim(s)) : std::string(s));
      return;
    }
    if (s.empty() || (c.null_text && s == *c.null_text)) return push_null(c);
    if (!c.list) {
      bool is_null = false;
      if (!push_token(c, s, is_null)) return bad_value(c, s);
      if (is_null) push_null(c);
      return;
    }
    // Arrays: whitespace-separated elements; bit and boolean arrays may also be packed ("TFT", "0110").
    std::vector<std::string_view> toks;
    size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && std::strchr(" \t\r\n", s[i])) i++;
      size_t j = i;
      while (j < s.size() && !std::strchr(" \t\r\n", s[j])) j++;
      if (j > i) toks.push_back(s.substr(i, j - i));
      i = j;
      if (toks.size() > limits_.max_array) return fail("an array in FIELD '" + c.info.name + "' is above the element limit");
    }
    if ((c.kind == Kind::Bool || c.kind == Kind::Bit) && toks.size() == 1 && toks[0].size() > 1 &&
        toks[0].find_first_not_of("TFtf01?") == std::string_view::npos) {
      std::string_view packed = toks[0];
      toks.clear();
      for (size_t k = 0; k < packed.size(); k++) toks.push_back(packed.substr(k, 1));
    }
    if (!c.variable && toks.size() != c.count)
      return fail("row " + std::to_string(rows_ + 1) + ", FIELD '" + c.info.name + "': " + std::to_string(toks.size()) +
                  " elements, arraysize says " + std::to_string(c.count));
    if (c.variable && c.count && toks.size() > c.count)
      return fail("row " + std::to_string(rows_ + 1) + ", FIELD '" + c.info.name + "': more elements than arraysize " +
                  c.info.arraysize);
    for (std::string_view t : toks) {
      bool is_null = false;
      if (!push_token(c, t, is_null)) return bad_value(c, t);
      if (is_null) c.col.push<uint8_t>(0);  // a '?' inside a boolean array: false (elements are not nullable)
    }
    end_list(c);
  }
  void bad_value(const Col& c, std::string_view s) {
    std::string shown(s.substr(0, 40));
    fail("row " + std::to_string(rows_ + 1) + ", FIELD '" + c.info.name + "': '" + shown + "' is not a valid " + c.info.datatype);
  }

  // --- BINARY / BINARY2 -------------------------------------------------------------------
  bool decode_base64(const std::string& in, std::string& out) {
    out.reserve(in.size() / 4 * 3);
    uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    for (unsigned char ch : in) {
      int v;
      if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
      else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
      else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
      else if (ch == '+') v = 62;
      else if (ch == '/') v = 63;
      else if (ch == '=') { padding = true; continue; }
      else if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
      else return fail("the base64 STREAM holds the character '" + std::string(1, char(ch)) + "'"), false;
      if (padding) return fail("the base64 STREAM has data after '=' padding"), false;
      acc = (acc << 6) | uint32_t(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += char((acc >> bits) & 0xFF);
      }
    }
    return true;
  }

  struct Bytes {
    const uint8_t* p;
    size_t n, pos = 0;
    bool take(size_t k, const uint8_t*& at) {
      if (n - pos < k) return false;
      at = p + pos;
      pos += k;
      return true;
    }
  };
  static uint64_t be(const uint8_t* p, size_t k) {
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++) v = (v << 8) | p[i];
    return v;
  }

  void binary_rows(const std::string& data) {
    Bytes b{reinterpret_cast<const uint8_t*>(data.data()), data.size()};
    size_t mask_bytes = format_ == Format::Binary2 ? (cols_.size() + 7) / 8 : 0;
    while (b.pos < b.n) {
      if (rows_ >= limits_.max_rows) return fail("more than " + std::to_string(limits_.max_rows) + " rows");
      const uint8_t* mask = nullptr;
      if (mask_bytes && !b.take(mask_bytes, mask)) return truncated();
      for (size_t ci = 0; ci < cols_.size(); ci++) {
        bool flagged = mask && (mask[ci / 8] >> (7 - ci % 8)) & 1;
        if (!binary_cell(cols_[ci], b, flagged)) return;
      }
      rows_++;
    }
  }
  void truncated() { fail("the binary STREAM ends inside row " + std::to_string(rows_ + 1)); }

  bool binary_cell(Col& c, Bytes& b, bool flagged) {
    uint64_t n = c.count;
    const uint8_t* at = nullptr;
    if (c.variable) {
      if (!b.take(4, at)) return truncated(), false;
      n = be(at, 4);
      if (n > limits_.max_array || (c.count && n > c.count))
        return fail("row " + std::to_string(rows_ + 1) + ", FIELD '" + c.info.name + "': an array of " + std::to_string(n) +
                    " elements is above its limit"), false;
    }
    size_t w = elem_bytes(c.kind);
    size_t bytes = c.kind == Kind::Bit ? size_t((n + 7) / 8) : size_t(n) * w;
    if (!b.take(bytes, at)) return truncated(), false;
    if (flagged) return push_null(c), true;
    if (c.text) {
      std::string s;
      if (c.kind == Kind::Char) {
        s.assign(reinterpret_cast<const char*>(at), bytes);
      } else {
        for (size_t i = 0; i + 1 < bytes; i += 2) storage::append_utf8(s, uint32_t(be(at + i, 2)));
      }
      // Fixed-width strings are padded with NULs (or blanks, by some writers).
      size_t nul = s.find('\0');
      if (nul != std::string::npos) s.resize(nul);
      if (!c.variable) s = std::string(trim(s));
      if (s.empty() || (c.null_text && s == *c.null_text)) push_null(c);
      else c.col.push_string(s);
      return true;
    }
    if (!c.list) {
      if (!binary_value(c, at, false)) push_null(c);
      return true;
    }
    for (uint64_t i = 0; i < n; i++) {
      if (c.kind == Kind::Bit) c.col.push<uint8_t>((at[i / 8] >> (7 - i % 8)) & 1);
      else binary_value(c, at + i * w, true);
    }
    end_list(c);
    return true;
  }

  // Appends one element; false if it is a null (then nothing was appended).
  bool binary_value(Col& c, const uint8_t* at, bool element) {
    switch (c.kind) {
      case Kind::Bool: {
        char ch = char(at[0]);
        if (ch == 'T' || ch == 't' || ch == '1') c.col.push<uint8_t>(1);
        else if (ch == 'F' || ch == 'f' || ch == '0') c.col.push<uint8_t>(0);
        else if (element) c.col.push<uint8_t>(0);
        else return false;
        return true;
      }
      // The spec packs bits from the most significant one; astropy writes a true scalar bit as
      // 0x08. Any set bit reads as true, so both agree.
      case Kind::Bit: c.col.push<uint8_t>(at[0] != 0); return true;
      case Kind::UByte: case Kind::Short: case Kind::Int: case Kind::Long: {
        uint64_t u = be(at, elem_bytes(c.kind));
        int64_t v = c.kind == Kind::UByte ? int64_t(u)
                    : c.kind == Kind::Short ? int64_t(int16_t(uint16_t(u)))
                    : c.kind == Kind::Int   ? int64_t(int32_t(uint32_t(u)))
                                            : int64_t(u);
        if (!element && c.null_int && *c.null_int == v) return false;
        push_int(c, v);
        return true;
      }
      case Kind::Float: {
        uint32_t u = uint32_t(be(at, 4));
        float f;
        std::memcpy(&f, &u, 4);
        if (std::isnan(f) && !element) return false;
        c.col.push<float>(f);
        return true;
      }
      case Kind::Double: {
        uint64_t u = be(at, 8);
        double d;
        std::memcpy(&d, &u, 8);
        if (std::isnan(d) && !element) return false;
        c.col.push<double>(d);
        return true;
      }
      case Kind::Char: case Kind::UChar: break;
    }
    return false;
  }

  enum class Format { None, TableData, Binary, Binary2 };
  ReadLimits limits_;
  XML_Parser p_;
  std::string error_;
  uint64_t total_ = 0;
  int depth_ = 0;
  bool seen_votable_ = false, in_table_ = false, table_done_ = false, in_field_ = false, in_data_ = false;
  bool collect_ = false, in_tr_ = false;
  std::string text_;
  std::string table_name_;
  Format format_ = Format::None;
  std::vector<Col> cols_;
  size_t cell_ = 0;
  uint64_t rows_ = 0;
};

}  // namespace

VoTable read_votable(std::string_view document, const ReadLimits& limits) {
  Reader r(limits);
  r.feed(document.data(), document.size(), true);
  return r.finish();
}

VoTable read_votable_file(const std::string& path, const ReadLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw VotableError("VOTable: cannot open " + path);
  Reader r(limits);
  std::vector<char> buf(1 << 20);
  for (;;) {
    in.read(buf.data(), std::streamsize(buf.size()));
    size_t got = size_t(in.gcount());
    bool final = got < buf.size();
    r.feed(buf.data(), got, final);
    if (final) break;
  }
  if (in.bad()) throw VotableError("VOTable: error reading " + path);
  return r.finish();
}

}  // namespace astrolake::votable
