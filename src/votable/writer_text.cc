// CSV (RFC 4180), TSV (IANA text/tab-separated-values) and a JSON form of a result:
//   {"metadata":[{"name":..,"datatype":..,"arraysize":..},...],"data":[[..],..],"status":"OK"}
// with "status" OVERFLOW or ERROR (then "message") at the end, since it is known only then.
#include <cmath>
#include <cstdio>

#include "votable/writer.h"
#include "votable/writer_values.h"

namespace astrolake::votable {

using parquet::Type;

namespace {

class DelimitedWriter : public TableWriter {
 public:
  DelimitedWriter(char sep, const std::vector<parquet::Field>& schema) : sep_(sep), schema_(schema) {}

  void begin(std::string& out) override {
    for (size_t c = 0; c < schema_.size(); c++) {
      if (c) out += sep_;
      text(schema_[c].name, out);
    }
    out += sep_ == ',' ? "\r\n" : "\n";
  }

  void write(const parquet::Table& t, size_t first, size_t last, std::string& out) override {
    for (size_t r = first; r < last; r++) {
      for (size_t c = 0; c < t.columns.size(); c++) {
        if (c) out += sep_;
        cell_.clear();
        append_cell_text(t.columns[c], r, cell_);
        text(cell_, out);
      }
      out += sep_ == ',' ? "\r\n" : "\n";
    }
  }

  void finish(Status, std::string_view, std::string&) override {}

 private:
  void text(std::string_view s, std::string& out) const {
    if (sep_ == '\t') {  // TSV cannot quote: tabs and line breaks inside a field become spaces
      for (char ch : s) out += ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch;
      return;
    }
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
      out += s;
      return;
    }
    out += '"';
    for (char ch : s) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }

  char sep_;
  std::vector<parquet::Field> schema_;
  std::string cell_;
};

void json_string(std::string_view s, std::string& out) {
  out += '"';
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') { out += '\\'; out += char(ch); }
    else if (ch == '\n') out += "\\n";
    else if (ch < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", ch); out += buf; }
    else out += char(ch);
  }
  out += '"';
}

class JsonWriter : public TableWriter {
 public:
  JsonWriter(const std::vector<parquet::Field>& schema, std::vector<ColumnMeta> meta)
      : schema_(schema), meta_(std::move(meta)) {}

  void begin(std::string& out) override {
    out += "{\"metadata\":[";
    for (size_t c = 0; c < schema_.size(); c++) {
      VotType t = votable_type(schema_[c]);
      out += c ? ",{\"name\":" : "{\"name\":";
      json_string(schema_[c].name, out);
      out += ",\"datatype\":\"" + t.datatype + "\"";
      if (!t.arraysize.empty()) out += ",\"arraysize\":\"" + t.arraysize + "\"";
      // A geometry column (DALI xtype point, circle, polygon) is an array of doubles.
      std::string xtype = c < meta_.size() && !meta_[c].xtype.empty() ? meta_[c].xtype : t.xtype;
      if (!xtype.empty()) out += ",\"xtype\":\"" + xtype + "\"";
      out += '}';
    }
    out += "],\n\"data\":[";
  }

  void write(const parquet::Table& t, size_t first, size_t last, std::string& out) override {
    for (size_t r = first; r < last; r++) {
      out += rows_++ ? ",\n[" : "\n[";
      for (size_t c = 0; c < t.columns.size(); c++) {
        if (c) out += ',';
        cell(t.columns[c], r, out);
      }
      out += ']';
    }
  }

  void finish(Status status, std::string_view message, std::string& out) override {
    out += "],\n\"status\":\"";
    out += status == Status::Ok ? "OK\"" : status == Status::Overflow ? "OVERFLOW\"" : "ERROR\"";
    if (status == Status::Error) {
      out += ",\"message\":";
      json_string(message, out);
    }
    out += "}\n";
  }

 private:
  void value(const parquet::Column& col, size_t i, std::string& out) {
    Type ty = col.field.type;
    if (col.value_is_null(i) || (parquet::is_floating(ty) && !std::isfinite(double_at(col, i)))) {
      out += "null";
      return;
    }
    if (ty == Type::Bool) { out += int_at(col, i) ? "true" : "false"; return; }
    tmp_.clear();
    append_value_text(col, i, tmp_);
    if (parquet::is_integer(ty) || parquet::is_floating(ty)) out += tmp_;
    else json_string(tmp_, out);
  }

  void cell(const parquet::Column& col, size_t r, std::string& out) {
    if (col.is_null(r)) { out += "null"; return; }
    if (!col.field.list) { value(col, r, out); return; }
    size_t first, last;
    value_range(col, r, first, last);
    out += '[';
    for (size_t i = first; i < last; i++) {
      if (i > first) out += ',';
      value(col, i, out);
    }
    out += ']';
  }

  std::vector<parquet::Field> schema_;
  std::vector<ColumnMeta> meta_;
  std::string tmp_;
  size_t rows_ = 0;
};

}  // namespace

std::unique_ptr<TableWriter> make_text_writer(Format f, const std::vector<parquet::Field>& schema, WriterOptions opts) {
  if (f == Format::Json) return std::make_unique<JsonWriter>(schema, std::move(opts.meta));
  return std::make_unique<DelimitedWriter>(f == Format::Tsv ? '\t' : ',', schema);
}

}  // namespace astrolake::votable
