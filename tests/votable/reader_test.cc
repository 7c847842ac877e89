// VOTable reader: hand-written documents in each serialisation (every datatype, nulls,
// arrays), documents written by astropy (TABLEDATA, BINARY, BINARY2), and invalid documents
// that must give a clear VotableError.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <cstring>

#include "votable/reader.h"

using namespace astrolake;
using votable::read_votable;
using votable::VotableError;

namespace {

std::string doc(const std::string& fields, const std::string& data, const std::string& version = "1.4") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VOTABLE version=\"" + version +
         "\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\n<RESOURCE type=\"results\">\n<TABLE name=\"mine\">\n" + fields +
         "<DATA>" + data + "</DATA>\n</TABLE>\n</RESOURCE>\n</VOTABLE>\n";
}

std::string base64(const std::string& in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; k--) out += a[(v >> (6 * k)) & 63];
    if (out.size() % 77 == 76) out += '\n';
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16 | (i + 1 < in.size() ? uint32_t(uint8_t(in[i + 1])) << 8 : 0);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

template <class T> void put_be(std::string& s, T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  for (size_t i = sizeof(T); i-- > 0;) s += char(b[i]);
}

std::string error_of(const std::string& d, const votable::ReadLimits& l = {}) {
  try {
    read_votable(d, l);
  } catch (const VotableError& e) {
    return e.what();
  }
  return "no error";
}

const char* kFields =
    "<FIELD name=\"id\" datatype=\"long\" ucd=\"meta.id\"><VALUES null=\"-1\"/></FIELD>\n"
    "<FIELD name=\"ra\" datatype=\"double\" unit=\"deg\" ucd=\"pos.eq.ra\"><DESCRIPTION>Right ascension</DESCRIPTION></FIELD>\n"
    "<FIELD name=\"mag\" datatype=\"float\"/>\n"
    "<FIELD name=\"n\" datatype=\"int\"/>\n"
    "<FIELD name=\"s\" datatype=\"short\"/>\n"
    "<FIELD name=\"flag\" datatype=\"boolean\"/>\n"
    "<FIELD name=\"name\" datatype=\"char\" arraysize=\"*\"/>\n"
    "<FIELD name=\"band\" datatype=\"char\"/>\n"
    "<FIELD name=\"lc\" datatype=\"double\" arraysize=\"*\"/>\n"
    "<FIELD name=\"pos\" datatype=\"float\" arraysize=\"2\" xtype=\"point\"/>\n";

}  // namespace

TEST(VotableReader, TableDataEveryTypeAndNulls) {
  std::string d = doc(kFields,
                      "<TABLEDATA>\n"
                      "<TR><TD>1</TD><TD>10.5</TD><TD>17.25</TD><TD>-7</TD><TD>0x7FFF</TD><TD>T</TD><TD>M31 &amp; co</TD>"
                      "<TD>g</TD><TD>1 2.5 3</TD><TD>10 20</TD></TR>\n"
                      "<TR><TD>-1</TD><TD>NaN</TD><TD></TD><TD> 42 </TD><TD>-32768</TD><TD>?</TD><TD></TD><TD/>"
                      "<TD></TD><TD>+Inf -1e3</TD></TR>\n"
                      "<TR><TD>9223372036854775807</TD><TD>-0.0</TD><TD>1e-3</TD><TD></TD><TD>3</TD><TD>false</TD>"
                      "<TD>\xc3\xa9toile</TD><TD>r</TD><TD></TD><TD>0 0</TD></TR>\n"
                      "</TABLEDATA>");
  votable::VoTable v = read_votable(d);
  EXPECT_EQ(v.name, "mine");
  ASSERT_EQ(v.table.columns.size(), 10u);
  ASSERT_EQ(v.table.rows(), 3u);
  const auto& t = v.table;
  EXPECT_EQ(v.fields[1].unit, "deg");
  EXPECT_EQ(v.fields[1].ucd, "pos.eq.ra");
  EXPECT_EQ(v.fields[1].description, "Right ascension");
  EXPECT_EQ(v.fields[9].xtype, "point");
  EXPECT_EQ(t.col("id").field.type, parquet::Type::Int64);
  EXPECT_EQ(t.col("id").values_as<int64_t>()[0], 1);
  EXPECT_TRUE(t.col("id").is_null(1));  // VALUES null="-1"
  EXPECT_EQ(t.col("id").values_as<int64_t>()[2], INT64_MAX);
  EXPECT_DOUBLE_EQ(t.col("ra").values_as<double>()[0], 10.5);
  EXPECT_TRUE(t.col("ra").is_null(1));  // NaN
  EXPECT_EQ(t.col("mag").field.type, parquet::Type::Float);
  EXPECT_FLOAT_EQ(t.col("mag").values_as<float>()[0], 17.25f);
  EXPECT_TRUE(t.col("mag").is_null(1));
  EXPECT_EQ(t.col("n").values_as<int32_t>()[1], 42);
  EXPECT_TRUE(t.col("n").is_null(2));
  EXPECT_EQ(t.col("s").values_as<int16_t>()[0], 32767);
  EXPECT_EQ(t.col("s").values_as<int16_t>()[1], -32768);
  EXPECT_EQ(t.col("flag").values_as<uint8_t>()[0], 1);
  EXPECT_TRUE(t.col("flag").is_null(1));
  EXPECT_EQ(t.col("flag").values_as<uint8_t>()[2], 0);
  EXPECT_EQ(t.col("name").string_at(0), "M31 & co");
  EXPECT_TRUE(t.col("name").is_null(1));
  EXPECT_EQ(t.col("name").string_at(2), "\xc3\xa9toile");
  EXPECT_EQ(t.col("band").string_at(2), "r");
  const auto& lc = t.col("lc");
  ASSERT_TRUE(lc.field.list);
  EXPECT_EQ(lc.list_offsets, (std::vector<int64_t>{0, 3, 3, 3}));
  EXPECT_DOUBLE_EQ(lc.values_as<double>()[1], 2.5);
  EXPECT_TRUE(lc.is_null(1));
  const auto& pos = t.col("pos");
  EXPECT_TRUE(std::isinf(pos.values_as<float>()[2]));
  EXPECT_FLOAT_EQ(pos.values_as<float>()[3], -1000.f);
}

TEST(VotableReader, Binary2NullFlagsAndBinaryValuesNull) {
  // id long, ra double, name char*, lc double[*], flag boolean
  std::string fields =
      "<FIELD name=\"id\" datatype=\"long\"><VALUES null=\"-99\"/></FIELD><FIELD name=\"ra\" datatype=\"double\"/>"
      "<FIELD name=\"name\" datatype=\"char\" arraysize=\"*\"/><FIELD name=\"lc\" datatype=\"double\" arraysize=\"*\"/>"
      "<FIELD name=\"flag\" datatype=\"boolean\"/><FIELD name=\"code\" datatype=\"char\" arraysize=\"4\"/>"
      "<FIELD name=\"u\" datatype=\"unicodeChar\" arraysize=\"*\"/>";
  auto row = [](bool b2, uint8_t mask, int64_t id, double ra, const std::string& name, std::vector<double> lc, char flag,
                const std::string& code4, const std::u16string& u) {
    std::string s;
    if (b2) s += char(mask);
    put_be<int64_t>(s, id);
    put_be<double>(s, ra);
    put_be<uint32_t>(s, uint32_t(name.size()));
    s += name;
    put_be<uint32_t>(s, uint32_t(lc.size()));
    for (double x : lc) put_be<double>(s, x);
    s += flag;
    s += code4;
    put_be<uint32_t>(s, uint32_t(u.size()));
    for (char16_t c : u) put_be<uint16_t>(s, uint16_t(c));
    return s;
  };
  std::string b2 = row(true, 0, 7, 1.5, "abc", {1, 2}, 'T', std::string("ab\0\0", 4), u"\u00e9x") +
                   row(true, 0x80 | 0x20 | 0x10, 0, 0, "", {}, 'F', "wxyz", u"");  // id, name, lc null
  votable::VoTable v = read_votable(doc(fields, "<BINARY2><STREAM encoding=\"base64\">" + base64(b2) + "</STREAM></BINARY2>"));
  const auto& t = v.table;
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.col("id").values_as<int64_t>()[0], 7);
  EXPECT_TRUE(t.col("id").is_null(1));
  EXPECT_FALSE(t.col("ra").is_null(1));
  EXPECT_EQ(t.col("name").string_at(0), "abc");
  EXPECT_TRUE(t.col("name").is_null(1));
  EXPECT_TRUE(t.col("lc").is_null(1));
  EXPECT_EQ(t.col("lc").list_offsets, (std::vector<int64_t>{0, 2, 2}));
  EXPECT_EQ(t.col("flag").values_as<uint8_t>()[1], 0);
  EXPECT_EQ(t.col("code").string_at(0), "ab");
  EXPECT_EQ(t.col("code").string_at(1), "wxyz");
  EXPECT_EQ(t.col("u").string_at(0), "\xc3\xa9x");

  // BINARY has no flags: VALUES null and NaN carry the nulls.
  std::string b1 = row(false, 0, -99, std::nan(""), "q", {3}, '?', "abcd", u"z");
  v = read_votable(doc(fields, "<BINARY><STREAM encoding=\"base64\">" + base64(b1) + "</STREAM></BINARY>", "1.2"));
  ASSERT_EQ(v.table.rows(), 1u);
  EXPECT_TRUE(v.table.col("id").is_null(0));
  EXPECT_TRUE(v.table.col("ra").is_null(0));
  EXPECT_TRUE(v.table.col("flag").is_null(0));
  EXPECT_EQ(v.table.col("name").string_at(0), "q");

  // Cut the stream short: an error naming the row, not a crash.
  std::string cut = b2.substr(0, b2.size() - 3);
  EXPECT_NE(error_of(doc(fields, "<BINARY2><STREAM encoding=\"base64\">" + base64(cut) + "</STREAM></BINARY2>"))
                .find("ends inside row 2"),
            std::string::npos);
  // A variable array whose count runs past the data.
  std::string huge;
  put_be<int64_t>(huge, 1);
  put_be<double>(huge, 1);
  put_be<uint32_t>(huge, 0xFFFFFFF0u);
  EXPECT_NE(error_of(doc(fields, "<BINARY><STREAM encoding=\"base64\">" + base64(huge) + "</STREAM></BINARY>"))
                .find("above its limit"),
            std::string::npos);
}

TEST(VotableReader, InvalidDocumentsGiveClearErrors) {
  const std::string one = "<FIELD name=\"a\" datatype=\"int\"/>";
  auto has = [](const std::string& err, const std::string& part) {
    EXPECT_NE(err.find(part), std::string::npos) << "error was: " << err << "\nexpected to contain: " << part;
  };
  has(error_of("not xml at all"), "not well-formed XML");
  has(error_of(""), "not well-formed XML");
  has(error_of("<VOTABLE><RESOURCE/></VOTABLE>"), "no TABLE");
  has(error_of("<html/>"), "not <VOTABLE>");
  has(error_of(doc("<FIELD name=\"a\" datatype=\"quaternion\"/>", "")), "datatype 'quaternion'");
  has(error_of(doc("<FIELD name=\"a\" datatype=\"floatComplex\"/>", "")), "datatype 'floatComplex'");
  has(error_of(doc(one + one, "")), "two FIELDs are named 'a'");
  has(error_of(doc(one, "<TABLEDATA><TR><TD>1</TD><TD>2</TD></TR></TABLEDATA>")), "more TD cells");
  has(error_of(doc(one + "<FIELD name=\"b\" datatype=\"int\"/>", "<TABLEDATA><TR><TD>1</TD></TR></TABLEDATA>")),
      "row 1 has 1 TD cells but the table has 2 FIELDs");
  has(error_of(doc(one, "<TABLEDATA><TR><TD>1.5</TD></TR></TABLEDATA>")), "'1.5' is not a valid int");
  has(error_of(doc(one, "<TABLEDATA><TR><TD>3000000000</TD></TR></TABLEDATA>")), "not a valid int");
  const std::string shrt = "<FIELD name=\"a\" datatype=\"short\"/>", lng = "<FIELD name=\"a\" datatype=\"long\"/>";
  has(error_of(doc(shrt, "<TABLEDATA><TR><TD>0x10000</TD></TR></TABLEDATA>")), "'0x10000' is not a valid short");
  has(error_of(doc(lng, "<TABLEDATA><TR><TD>9223372036854775808</TD></TR></TABLEDATA>")), "not a valid long");
  has(error_of(doc("<FIELD name=\"a\" datatype=\"unsignedByte\"/>", "<TABLEDATA><TR><TD>-1</TD></TR></TABLEDATA>")),
      "not a valid unsignedByte");
  EXPECT_EQ(read_votable(doc(lng, "<TABLEDATA><TR><TD>-9223372036854775808</TD></TR></TABLEDATA>")).table.columns[0].values_as<int64_t>()[0],
            INT64_MIN);
  EXPECT_EQ(read_votable(doc(shrt, "<TABLEDATA><TR><TD>0xFFFF</TD></TR></TABLEDATA>")).table.columns[0].values_as<int16_t>()[0], -1);
  has(error_of(doc("<FIELD name=\"a\" datatype=\"int\" arraysize=\"*x3\"/>", "")), "only the last arraysize");
  has(error_of(doc("<FIELD name=\"a\" datatype=\"int\" arraysize=\"3\"/>", "<TABLEDATA><TR><TD>1 2</TD></TR></TABLEDATA>")),
      "2 elements, arraysize says 3");
  has(error_of(doc(one, "<BINARY><STREAM encoding=\"base64\">!!!!</STREAM></BINARY>")), "base64 STREAM holds");
  has(error_of(doc(one, "<BINARY><STREAM encoding=\"gzip\">AAAA</STREAM></BINARY>")), "encoding 'gzip'");
  has(error_of(doc(one, "<BINARY><STREAM href=\"http://example.org/x\"/></BINARY>")), "href");
  has(error_of(doc(one, "<FITS><STREAM encoding=\"base64\"></STREAM></FITS>")), "FITS");
  has(error_of(doc(one, "<TABLEDATA><TR><TD>1</TD></TR>")), "not well-formed XML at line");
  // An entity-expansion bomb is refused before any expansion.
  has(error_of("<?xml version=\"1.0\"?><!DOCTYPE v [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>"
               "<VOTABLE>&b;</VOTABLE>"),
      "DOCTYPE is not allowed");
  // Limits.
  votable::ReadLimits small;
  small.max_rows = 2;
  has(error_of(doc(one, "<TABLEDATA><TR><TD>1</TD></TR><TR><TD>2</TD></TR><TR><TD>3</TD></TR></TABLEDATA>"), small),
      "more than 2 rows");
  small.max_bytes = 100;
  has(error_of(doc(one, ""), small), "larger than the limit of 100 bytes");
}

TEST(VotableReader, FirstTableAndNestedResources) {
  std::string d =
      "<VOTABLE version=\"1.1\"><RESOURCE><INFO name=\"QUERY_STATUS\" value=\"OK\"/><RESOURCE>"
      "<TABLE name=\"first\"><FIELD name=\"x\" datatype=\"double\"/><DATA><TABLEDATA><TR><TD>1</TD></TR></TABLEDATA></DATA></TABLE>"
      "<TABLE name=\"second\"><FIELD name=\"y\" datatype=\"int\"/><DATA><TABLEDATA><TR><TD>zz</TD></TR></TABLEDATA></DATA></TABLE>"
      "</RESOURCE></RESOURCE></VOTABLE>";
  votable::VoTable v = read_votable(d);
  EXPECT_EQ(v.name, "first");
  ASSERT_EQ(v.table.columns.size(), 1u);
  EXPECT_EQ(v.table.columns[0].field.name, "x");
  // A table with no DATA is an empty table with its columns.
  v = read_votable("<VOTABLE><RESOURCE><TABLE><FIELD name=\"a\" datatype=\"int\"/></TABLE></RESOURCE></VOTABLE>");
  EXPECT_EQ(v.table.rows(), 0u);
}

// Documents written by astropy.io.votable (the project's .venv) in all three serialisations.
TEST(VotableReader, ReadsWhatAstropyWrites) {
  std::string py = std::string(AL_SOURCE_DIR) + "/.venv/bin/python";
  ASSERT_TRUE(std::filesystem::exists(py)) << "run scripts/install-deps.sh to create " << py;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("al_vot_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string script = (dir / "write.py").string();
  std::ofstream(script) << R"(
import sys
import numpy as np
from astropy.table import Table, MaskedColumn
from astropy.io.votable import from_table
t = Table()
t["id"] = np.array([1, 2, 3], dtype=np.int64)
t["ra"] = np.array([10.25, 200.5, 359.75])
t["dec"] = MaskedColumn([-5.5, 0.0, 89.0], mask=[False, True, False])
t["mag"] = np.array([17.5, 18.25, 19.0], dtype=np.float32)
t["n"] = MaskedColumn(np.array([4, 5, 6], dtype=np.int32), mask=[False, False, True])
t["ok"] = np.array([True, False, True])
t["name"] = ["alpha", "b\u00e9ta", "gamma"]
t["ra"].unit = "deg"
for fmt in ("tabledata", "binary", "binary2"):
    vt = from_table(t)
    vt.get_first_table().format = fmt
    # BINARY has no null flags: a masked integer needs a VALUES null (BINARY2 ignores it).
    vt.get_first_table().get_field_by_id("n").values.null = -999
    vt.to_xml(sys.argv[1] + "/" + fmt + ".xml")
)";
  std::string cmd = py + " " + script + " " + dir.string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "astropy failed: " << cmd;
  for (const char* fmt : {"tabledata", "binary", "binary2"}) {
    SCOPED_TRACE(fmt);
    votable::VoTable v = votable::read_votable_file((dir / (std::string(fmt) + ".xml")).string());
    const auto& t = v.table;
    ASSERT_EQ(t.rows(), 3u);
    EXPECT_EQ(t.col("id").values_as<int64_t>()[2], 3);
    EXPECT_DOUBLE_EQ(t.col("ra").values_as<double>()[1], 200.5);
    EXPECT_EQ(v.fields[1].unit, "deg");
    EXPECT_DOUBLE_EQ(t.col("dec").values_as<double>()[0], -5.5);
    EXPECT_TRUE(t.col("dec").is_null(1));
    EXPECT_FALSE(t.col("dec").is_null(2));
    EXPECT_FLOAT_EQ(t.col("mag").values_as<float>()[1], 18.25f);
    EXPECT_EQ(t.col("n").values_as<int32_t>()[1], 5);
    EXPECT_TRUE(t.col("n").is_null(2));
    EXPECT_EQ(t.col("ok").values_as<uint8_t>()[0], 1);
    EXPECT_EQ(t.col("ok").values_as<uint8_t>()[1], 0);
    EXPECT_EQ(t.col("name").string_at(1), "b\xc3\xa9ta");
    EXPECT_EQ(t.col("name").string_at(2), "gamma");
  }
  std::filesystem::remove_all(dir);
}

// The fuzz seeds (fuzz/corpus/votable) are valid documents: each reads without error, and
// the astropy-written ones agree with each other whatever the serialisation.
TEST(VotableReader, FuzzSeedsRead) {
  std::vector<votable::VoTable> astropy;
  for (const auto& e : std::filesystem::directory_iterator(std::string(AL_SOURCE_DIR) + "/fuzz/corpus/votable")) {
    SCOPED_TRACE(e.path().string());
    votable::VoTable v = votable::read_votable_file(e.path().string());
    EXPECT_GT(v.table.rows(), 0u);
    if (e.path().filename().string().rfind("astropy_", 0) == 0) astropy.push_back(std::move(v));
  }
  ASSERT_EQ(astropy.size(), 3u);
  for (const auto& v : astropy) {
    const auto& t = v.table;
    EXPECT_EQ(t.col("s").values_as<int16_t>()[2], 3);
    EXPECT_EQ(t.col("b").values_as<int16_t>()[1], 2);
    EXPECT_EQ(t.col("code").string_at(1), "cd");
    EXPECT_EQ(t.col("lc").list_offsets, (std::vector<int64_t>{0, 2, 4, 6}));
    EXPECT_DOUBLE_EQ(t.col("lc").values_as<double>()[5], 6.0);
    EXPECT_TRUE(t.col("n").is_null(2));
    EXPECT_EQ(t.col("name").string_at(1), "b\xc3\xa9ta");
  }
}
