// The result writers on real tables: VOTable TABLEDATA text, BINARY/BINARY2 bytes decoded
// back from base64 (big-endian values, null flags, variable-length arrays), CSV quoting, JSON.
#include "votable/writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "votable/reader.h"

namespace {

using namespace astrolake;
using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;

// id int64 (row 1 null), mag double, name string ("a<b", null, "c,\"d\""), flux list<float>.
Table sample() {
  Table t;
  Column id(Field{"id", Type::Int64});
  id.push<int64_t>(7);
  id.push_null();
  id.push<int64_t>(-3);
  Column mag(Field{"mag", Type::Double});
  mag.push<double>(1.5);
  mag.push<double>(NAN);
  mag.push<double>(-0.25);
  Column name(Field{"name", Type::String});
  name.push_string("a<b");
  name.push_null();
  name.push_string("c,\"d\"");
  Column flux(Field{"flux", Type::Float, true, true});
  flux.list_offsets = {0, 2, 2, 3};
  flux.list_valid = {1, 1, 1};
  flux.push<float>(1.0f);
  flux.push<float>(2.5f);
  flux.push<float>(4.0f);
  t.columns = {id, mag, name, flux};
  return t;
}

std::string write_all(votable::Format f, const Table& t) {
  std::vector<Field> schema;
  for (const auto& c : t.columns) schema.push_back(c.field);
  auto w = votable::make_writer(f, schema);
  std::string out;
  w->begin(out);
  w->write(t, 0, 2, out);  // two pieces, as batches arrive
  w->write(t, 2, 3, out);
  w->finish(votable::Status::Overflow, "", out);
  return out;
}

std::string base64_decode(const std::string& s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = val(c);
    if (v < 0) continue;
    acc = acc << 6 | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string stream_bytes(const std::string& doc) {
  size_t a = doc.find("<STREAM encoding=\"base64\">");
  size_t b = doc.find("</STREAM>");
  EXPECT_NE(a, std::string::npos);
  return base64_decode(doc.substr(a + 26, b - a - 26));
}

template <class T>
T get_be(const std::string& s, size_t& pos) {
  unsigned char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); i++) b[sizeof(T) - 1 - i] = uint8_t(s[pos + i]);
  pos += sizeof(T);
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

TEST(VotableWriter, TableDataFieldsNullsEscapesAndStatus) {
  std::string doc = write_all(votable::Format::TableData, sample());
  EXPECT_NE(doc.find("<FIELD name=\"id\" datatype=\"long\"/>"), std::string::npos) << doc;
  EXPECT_NE(doc.find("<FIELD name=\"name\" datatype=\"char\" arraysize=\"*\"/>"), std::string::npos);
  EXPECT_NE(doc.find("<FIELD name=\"flux\" datatype=\"float\" arraysize=\"*\"/>"), std::string::npos);
  EXPECT_NE(doc.find("<TR><TD>7</TD><TD>1.5</TD><TD>a&lt;b</TD><TD>1 2.5</TD></TR>"), std::string::npos) << doc;
  EXPECT_NE(doc.find("<TR><TD/><TD>NaN</TD><TD/><TD></TD></TR>"), std::string::npos) << doc;
  EXPECT_NE(doc.find("<TD>c,&quot;d&quot;</TD>"), std::string::npos);
  // OK before the table, OVERFLOW after it.
  size_t ok = doc.find("<INFO name=\"QUERY_STATUS\" value=\"OK\"/>");
  size_t table_end = doc.find("</TABLE>");
  size_t overflow = doc.find("<INFO name=\"QUERY_STATUS\" value=\"OVERFLOW\"/>");
  ASSERT_NE(ok, std::string::npos);
  ASSERT_NE(overflow, std::string::npos);
  EXPECT_LT(ok, doc.find("<TABLE"));
  EXPECT_GT(overflow, table_end);
}

TEST(VotableWriter, Binary2NullFlagsAndValues) {
  std::string doc = write_all(votable::Format::Binary2, sample());
  ASSERT_NE(doc.find("<BINARY2>"), std::string::npos);
  std::string b = stream_bytes(doc);
  size_t pos = 0;
  // Row 0: no flags; id 7, mag 1.5, "a<b", [1, 2.5].
  EXPECT_EQ(uint8_t(b[pos++]), 0);
  EXPECT_EQ(get_be<int64_t>(b, pos), 7);
  EXPECT_EQ(get_be<double>(b, pos), 1.5);
  EXPECT_EQ(get_be<int32_t>(b, pos), 3);
  EXPECT_EQ(b.substr(pos, 3), "a<b");
  pos += 3;
  EXPECT_EQ(get_be<int32_t>(b, pos), 2);
  EXPECT_EQ(get_be<float>(b, pos), 1.0f);
  EXPECT_EQ(get_be<float>(b, pos), 2.5f);
  // Row 1: id and name null (flag bits of columns 0 and 2), mag NaN, empty list.
  EXPECT_EQ(uint8_t(b[pos++]), 0x80 | 0x20);
  get_be<int64_t>(b, pos);
  EXPECT_TRUE(std::isnan(get_be<double>(b, pos)));
  EXPECT_EQ(get_be<int32_t>(b, pos), 0);
  EXPECT_EQ(get_be<int32_t>(b, pos), 0);
  // Row 2.
  EXPECT_EQ(uint8_t(b[pos++]), 0);
  EXPECT_EQ(get_be<int64_t>(b, pos), -3);
  EXPECT_EQ(get_be<double>(b, pos), -0.25);
  EXPECT_EQ(get_be<int32_t>(b, pos), 5);
  pos += 5;
  EXPECT_EQ(get_be<int32_t>(b, pos), 1);
  EXPECT_EQ(get_be<float>(b, pos), 4.0f);
  EXPECT_EQ(pos, b.size());
}

TEST(VotableWriter, BinaryDeclaresIntegerNullSentinel) {
  std::string doc = write_all(votable::Format::Binary, sample());
  EXPECT_NE(doc.find("<VALUES null=\"-9223372036854775808\"/>"), std::string::npos) << doc;
  std::string b = stream_bytes(doc);
  size_t pos = 8 + 8 + 4 + 3 + 4 + 8;  // row 0 without flags
  EXPECT_EQ(get_be<int64_t>(b, pos), INT64_MIN);
}

TEST(VotableWriter, CsvTsvJson) {
  std::string csv = write_all(votable::Format::Csv, sample());
  EXPECT_EQ(csv, "id,mag,name,flux\r\n7,1.5,a<b,1 2.5\r\n,NaN,,\r\n-3,-0.25,\"c,\"\"d\"\"\",4\r\n");
  std::string tsv = write_all(votable::Format::Tsv, sample());
  EXPECT_EQ(tsv, "id\tmag\tname\tflux\n7\t1.5\ta<b\t1 2.5\n\tNaN\t\t\n-3\t-0.25\tc,\"d\"\t4\n");
  std::string json = write_all(votable::Format::Json, sample());
  EXPECT_NE(json.find("[7,1.5,\"a<b\",[1,2.5]]"), std::string::npos) << json;
  EXPECT_NE(json.find("[null,null,null,[]]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"status\":\"OVERFLOW\""), std::string::npos);
}

TEST(VotableWriter, ErrorDocumentEscapesMessage) {
  std::string doc = votable::error_document("no column 'x' < 3 & \x01");
  EXPECT_NE(doc.find("<INFO name=\"QUERY_STATUS\" value=\"ERROR\">no column 'x' &lt; 3 &amp; ?</INFO>"),
            std::string::npos)
      << doc;
}

}  // namespace

namespace {

// Every integer width with a null, read back by the project's reader: a null short must take
// two bytes in BINARY and BINARY2 like any other short, or every later cell is misread.
TEST(VotableWriter, IntegerNullsOfEveryWidthRoundTrip) {
  Table t;
  Column s(Field{"s", Type::Int16}), i(Field{"i", Type::Int32}), l(Field{"l", Type::Int64}), after(Field{"after", Type::Double});
  s.push<int16_t>(-5); s.push_null();
  i.push<int32_t>(6); i.push_null();
  l.push<int64_t>(7); l.push_null();
  after.push<double>(1.5); after.push<double>(2.5);
  t.columns = {s, i, l, after};
  for (auto f : {votable::Format::Binary, votable::Format::Binary2, votable::Format::TableData}) {
    std::vector<Field> schema;
    for (const auto& c : t.columns) schema.push_back(c.field);
    auto w = votable::make_writer(f, schema);
    std::string doc;
    w->begin(doc);
    w->write(t, 0, 2, doc);
    w->finish(votable::Status::Ok, "", doc);
    votable::VoTable back = votable::read_votable(doc);
    ASSERT_EQ(back.table.rows(), 2u) << doc;
    EXPECT_EQ(back.table.columns[0].as_double(0), -5);
    EXPECT_TRUE(back.table.columns[0].is_null(1));
    EXPECT_TRUE(back.table.columns[1].is_null(1));
    EXPECT_TRUE(back.table.columns[2].is_null(1));
    EXPECT_EQ(back.table.columns[3].as_double(1), 2.5);
  }
}

// Geometry columns (lists of doubles with a DALI xtype): fixed arraysize for points and
// circles, no count in the binary stream; the reader gets the values back.
TEST(VotableWriter, GeometryXtypesHaveFixedArraysizes) {
  Table t;
  Column p(Field{"p", Type::Double, true, true}), poly(Field{"poly", Type::Double, true, true});
  p.list_offsets = {0, 2, 2};
  p.list_valid = {1, 0};
  p.push<double>(10.0); p.push<double>(-20.0);
  poly.list_offsets = {0, 6, 12};
  poly.list_valid = {1, 1};
  for (int k = 0; k < 12; k++) poly.push<double>(k);
  t.columns = {p, poly};
  votable::WriterOptions wo;
  wo.meta = {{"deg", "", "", "point"}, {"deg", "", "", "polygon"}};
  for (auto f : {votable::Format::Binary, votable::Format::Binary2, votable::Format::TableData}) {
    auto w = votable::make_writer(f, {p.field, poly.field}, wo);
    std::string doc;
    w->begin(doc);
    w->write(t, 0, 2, doc);
    w->finish(votable::Status::Ok, "", doc);
    EXPECT_NE(doc.find("<FIELD name=\"p\" datatype=\"double\" arraysize=\"2\" xtype=\"point\" unit=\"deg\"/>"),
              std::string::npos) << doc;
    EXPECT_NE(doc.find("<FIELD name=\"poly\" datatype=\"double\" arraysize=\"*\" xtype=\"polygon\""),
              std::string::npos);
    votable::VoTable back = votable::read_votable(doc);
    ASSERT_EQ(back.table.rows(), 2u);
    const Column& bp = back.table.columns[0];
    EXPECT_EQ(bp.as_double(size_t(bp.list_offsets[0])), 10.0);
    EXPECT_EQ(bp.as_double(size_t(bp.list_offsets[0]) + 1), -20.0);
    EXPECT_EQ(back.table.columns[1].list_offsets[2] - back.table.columns[1].list_offsets[1], 6);
  }
}

}  // namespace
