#include "votable/writer.h"

#include <cmath>
#include <cstring>

#include "votable/writer_values.h"

namespace astrolake::votable {

using parquet::Type;

std::unique_ptr<TableWriter> make_text_writer(Format f, const std::vector<parquet::Field>& schema,
                                              WriterOptions opts);  // writer_text.cc

const char* mime_type(Format f) {
  switch (f) {
    case Format::TableData: case Format::Binary: case Format::Binary2: return "application/x-votable+xml";
    case Format::Csv: return "text/csv";
    case Format::Tsv: return "text/tab-separated-values";
    case Format::Json: return "application/json";
  }
  return "application/octet-stream";
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 allows tab, newline and carriage return among the control characters only.
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') out += '?';
        else out += char(ch);
    }
  }
  return out;
}

VotType votable_type(const parquet::Field& f) {
  VotType t;
  switch (f.type) {
    case Type::Bool: t.datatype = "boolean"; break;
    case Type::UInt8: t.datatype = "unsignedByte"; break;
    case Type::Int8: case Type::Int16: t.datatype = "short"; break;
    case Type::UInt16: case Type::Int32: t.datatype = "int"; break;
    case Type::UInt32: case Type::Int64: case Type::UInt64: t.datatype = "long"; break;
    case Type::Float: t.datatype = "float"; break;
    case Type::Double: t.datatype = "double"; break;
    case Type::String: t.datatype = "char"; t.arraysize = "*"; break;
    case Type::Binary: t.datatype = "unsignedByte"; t.arraysize = "*"; break;
    case Type::Date32: case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos:
      t.datatype = "char"; t.arraysize = "*"; t.xtype = "timestamp"; break;
  }
  // A list of numbers is a variable-length array; a list of texts is written as one text.
  if (f.list && t.arraysize.empty()) t.arraysize = "*";
  return t;
}

std::string error_document(std::string_view message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\n"
         "<RESOURCE type=\"results\">\n"
         "<INFO name=\"QUERY_STATUS\" value=\"ERROR\">" + xml_escape(message) + "</INFO>\n"
         "</RESOURCE>\n</VOTABLE>\n";
}

namespace {

// Base64 of a byte stream that arrives in pieces: whole 3-byte groups are encoded as they
// come, the remainder waits for the next piece or the end.
class Base64Stream {
 public:
  void add(std::string_view bytes, std::string& out) {
    pending_.append(bytes);
    size_t whole = pending_.size() / 3 * 3;
    encode(std::string_view(pending_).substr(0, whole), out);
    pending_.erase(0, whole);
  }
  void finish(std::string& out) {
    encode(pending_, out);
    pending_.clear();
  }

 private:
  static void encode(std::string_view in, std::string& out) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0, col = 0;
    // Whole groups are written into space made once (the hot loop of a large result).
    size_t groups = in.size() / 3, at = out.size();
    out.resize(at + groups * 4 + groups / 19);
    char* o = out.data() + at;
    for (; i + 3 <= in.size(); i += 3) {
      uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
      *o++ = a[v >> 18]; *o++ = a[(v >> 12) & 63]; *o++ = a[(v >> 6) & 63]; *o++ = a[v & 63];
      if (++col == 19) { *o++ = '\n'; col = 0; }  // 76 characters a line
    }
    if (i < in.size()) {
      uint32_t v = uint32_t(uint8_t(in[i])) << 16 | (i + 1 < in.size() ? uint32_t(uint8_t(in[i + 1])) << 8 : 0);
      out += a[v >> 18]; out += a[(v >> 12) & 63];
      out += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
      out += '=';
    }
    if (!in.empty()) out += '\n';
  }
  std::string pending_;
};

template <class T>
void put_be(T v, std::string& out) {
  unsigned char b[sizeof(T)], r[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  for (size_t i = 0; i < sizeof(T); i++) r[i] = b[sizeof(T) - 1 - i];
  out.append(reinterpret_cast<const char*>(r), sizeof(T));
}

// A column's VOTable datatype as a number, so the per-value loop does not compare strings.
enum class Kind { Double, Float, Long, Int, Short, UByte, Boolean, Other };

Kind kind_of(const std::string& dt) {
  if (dt == "double") return Kind::Double;
  if (dt == "float") return Kind::Float;
  if (dt == "long") return Kind::Long;
  if (dt == "int") return Kind::Int;
  if (dt == "short") return Kind::Short;
  if (dt == "unsignedByte") return Kind::UByte;
  if (dt == "boolean") return Kind::Boolean;
  return Kind::Other;
}

// Sentinels declared in <VALUES null=...> for integer columns in BINARY, which has no null
// flags; the minimum of the type (255 for unsignedByte).
const char* null_sentinel(const std::string& datatype) {
  if (datatype == "short") return "-32768";
  if (datatype == "int") return "-2147483648";
  if (datatype == "long") return "-9223372036854775808";
  if (datatype == "unsignedByte") return "255";
  return nullptr;
}

class VotableWriter : public TableWriter {
 public:
  VotableWriter(Format f, const std::vector<parquet::Field>& schema, WriterOptions opts)
      : format_(f), schema_(schema), opts_(std::move(opts)) {
    for (size_t c = 0; c < schema_.size(); c++) {
      types_.push_back(votable_type(schema_[c]));
      // DALI geometry columns (lists of doubles): a point is 2 values, a circle 3, a polygon
      // 2n; FIELD datatype="double" with that arraysize and the xtype.
      const std::string xtype = c < opts_.meta.size() ? opts_.meta[c].xtype : "";
      if (schema_[c].list && (xtype == "point" || xtype == "circle" || xtype == "polygon")) {
        types_[c].datatype = "double";
        types_[c].arraysize = xtype == "point" ? "2" : xtype == "circle" ? "3" : "*";
      }
      kinds_.push_back(kind_of(types_[c].datatype));
      fixed_.push_back(types_[c].arraysize.empty() || types_[c].arraysize == "*" ? 0 : std::stoul(types_[c].arraysize));
    }
  }

  void begin(std::string& out) override {
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\" "
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
           "<RESOURCE type=\"results\">\n"
           "<INFO name=\"QUERY_STATUS\" value=\"OK\"/>\n";
    if (!opts_.query.empty()) out += "<INFO name=\"QUERY\" value=\"" + xml_escape(opts_.query) + "\"/>\n";
    out += "<TABLE name=\"" + xml_escape(opts_.table_name) + "\">\n";
    for (size_t c = 0; c < schema_.size(); c++) field(c, out);
    out += "<DATA>\n";
    if (format_ == Format::TableData) out += "<TABLEDATA>\n";
    else out += format_ == Format::Binary ? "<BINARY>\n<STREAM encoding=\"base64\">\n" : "<BINARY2>\n<STREAM encoding=\"base64\">\n";
  }

  void write(const parquet::Table& t, size_t first, size_t last, std::string& out) override {
    if (format_ == Format::TableData) {
      for (size_t r = first; r < last; r++) {
        out += "<TR>";
        for (const auto& col : t.columns) {
          if (col.is_null(r)) { out += "<TD/>"; continue; }
          out += "<TD>";
          cell_.clear();
          append_cell_text(col, r, cell_);
          out += col.field.type == Type::String ? xml_escape(cell_) : cell_;
          out += "</TD>";
        }
        out += "</TR>\n";
      }
      return;
    }
    raw_.clear();
    for (size_t r = first; r < last; r++) {
      if (format_ == Format::Binary2) {
        size_t flag_at = raw_.size();
        raw_.append((t.columns.size() + 7) / 8, '\0');
        for (size_t c = 0; c < t.columns.size(); c++)
          if (t.columns[c].is_null(r)) raw_[flag_at + c / 8] |= char(0x80 >> (c % 8));
      }
      for (size_t c = 0; c < t.columns.size(); c++) binary_cell(t.columns[c], c, r);
    }
    b64_.add(raw_, out);
  }

  void finish(Status status, std::string_view message, std::string& out) override {
    if (format_ == Format::TableData) {
      out += "</TABLEDATA>\n";
    } else {
      b64_.finish(out);
      out += format_ == Format::Binary ? "</STREAM>\n</BINARY>\n" : "</STREAM>\n</BINARY2>\n";
    }
    out += "</DATA>\n</TABLE>\n";
    if (status == Status::Overflow) out += "<INFO name=\"QUERY_STATUS\" value=\"OVERFLOW\"/>\n";
    if (status == Status::Error)
      out += "<INFO name=\"QUERY_STATUS\" value=\"ERROR\">" + xml_escape(message) + "</INFO>\n";
    out += "</RESOURCE>\n</VOTABLE>\n";
  }

 private:
  void field(size_t c, std::string& out) {
    const VotType& t = types_[c];
    out += "<FIELD name=\"" + xml_escape(schema_[c].name) + "\" datatype=\"" + t.datatype + "\"";
    if (!t.arraysize.empty()) out += " arraysize=\"" + t.arraysize + "\"";
    const ColumnMeta* m = c < opts_.meta.size() ? &opts_.meta[c] : nullptr;
    std::string xtype = m && !m->xtype.empty() ? m->xtype : t.xtype;
    if (!xtype.empty()) out += " xtype=\"" + xml_escape(xtype) + "\"";
    if (m && !m->unit.empty()) out += " unit=\"" + xml_escape(m->unit) + "\"";
    if (m && !m->ucd.empty()) out += " ucd=\"" + xml_escape(m->ucd) + "\"";
    const char* sentinel = null_sentinel(t.datatype);
    bool values = format_ == Format::Binary && sentinel && t.arraysize.empty() && schema_[c].nullable;
    if (!values && !(m && !m->description.empty())) {
      out += "/>\n";
      return;
    }
    out += ">\n";
    if (m && !m->description.empty()) out += "<DESCRIPTION>" + xml_escape(m->description) + "</DESCRIPTION>\n";
    if (values) out += std::string("<VALUES null=\"") + sentinel + "\"/>\n";
    out += "</FIELD>\n";
  }

  // One value of `dt` (the column's VOTable datatype); null values are written as the
  // BINARY null (sentinel, NaN, '?'), which BINARY2 also carries in its flags.
  void binary_value(const parquet::Column& col, Kind k, size_t i, bool null) {
    switch (k) {
      case Kind::Double: put_be(null ? NAN : double_at(col, i), raw_); break;
      case Kind::Float: put_be(null ? NAN : float(double_at(col, i)), raw_); break;
      case Kind::Long: put_be(null ? int64_t(INT64_MIN) : int64_t(int_at(col, i)), raw_); break;
      case Kind::Int: put_be(null ? int32_t(INT32_MIN) : int32_t(int_at(col, i)), raw_); break;
      case Kind::Short: put_be(null ? int16_t(INT16_MIN) : int16_t(int_at(col, i)), raw_); break;  // not promoted to int
      case Kind::UByte: raw_ += char(null ? 255 : uint8_t(int_at(col, i))); break;
      case Kind::Boolean: raw_ += null ? '?' : int_at(col, i) ? 'T' : 'F'; break;
      case Kind::Other: break;
    }
  }

  void binary_cell(const parquet::Column& col, size_t c, size_t r) {
    const VotType& t = types_[c];
    bool null = col.is_null(r);
    if (t.arraysize.empty()) {
      binary_value(col, kinds_[c], r, null);
      return;
    }
    if (t.datatype == "char" || col.field.type == Type::Binary) {
      // Variable-length text (or bytes): a 4-byte count, then the bytes.
      std::string_view bytes;
      if (!null && !col.field.list && (col.field.type == Type::String || col.field.type == Type::Binary)) {
        bytes = col.string_at(r);
      } else if (!null) {
        cell_.clear();
        append_cell_text(col, r, cell_);
        bytes = cell_;
      }
      put_be(int32_t(bytes.size()), raw_);
      raw_.append(bytes);
      return;
    }
    size_t first = 0, last = 0;
    if (!null) value_range(col, r, first, last);
    if (fixed_[c]) {
      // A fixed size (a point or circle): exactly that many values, no count; NaN pads.
      for (size_t k = 0; k < fixed_[c]; k++) {
        size_t i = first + k;
        binary_value(col, kinds_[c], i, i >= last || col.value_is_null(i));
      }
      return;
    }
    put_be(int32_t(last - first), raw_);
    for (size_t i = first; i < last; i++) binary_value(col, kinds_[c], i, col.value_is_null(i));
  }

  Format format_;
  std::vector<parquet::Field> schema_;
  WriterOptions opts_;
  std::vector<VotType> types_;
  std::vector<Kind> kinds_;
  std::vector<size_t> fixed_;  // a fixed arraysize (geometry), 0 otherwise
  std::string raw_, cell_;
  Base64Stream b64_;
};

}  // namespace

std::unique_ptr<TableWriter> make_writer(Format f, const std::vector<parquet::Field>& schema, WriterOptions opts) {
  if (f == Format::TableData || f == Format::Binary || f == Format::Binary2)
    return std::make_unique<VotableWriter>(f, schema, std::move(opts));
  return make_text_writer(f, schema, std::move(opts));
}

}  // namespace astrolake::votable
