#include "catalog/properties.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace astrolake::catalog {
namespace {

TEST(Properties, ParsesSeparatorsCommentsAndBlankLines) {
  Properties p = Properties::parse(
      "#HATS catalog\n"
      "! another comment\n"
      "\n"
      "a=1\n"
      "b : two words\n"
      "c   3\n"
      "  d=\n"
      "e\n"
      "hats_creation_date=2025-10-06T14:20UTC\n");
  EXPECT_EQ(p.get("a"), "1");
  EXPECT_EQ(p.get("b"), "two words");
  EXPECT_EQ(p.get("c"), "3");
  EXPECT_TRUE(p.has("d"));
  EXPECT_EQ(p.get("d", "x"), "");
  EXPECT_TRUE(p.has("e"));
  EXPECT_EQ(p.get("hats_creation_date"), "2025-10-06T14:20UTC");
  EXPECT_FALSE(p.has("#HATS"));
  ASSERT_EQ(p.entries().size(), 6u);
  EXPECT_EQ(p.entries()[0].first, "a");
  EXPECT_EQ(p.entries()[5].first, "hats_creation_date");
}

TEST(Properties, EscapesAndContinuations) {
  Properties p = Properties::parse(
      "key\\ with\\=odd\\:chars = v\\tx\\ny\n"
      "uni=caf\\u00e9 \\u2603\n"
      "pair=\\ud83d\\ude00\n"
      "long=one \\\n"
      "     two \\\n"
      "\tthree\n"
      "slash=a\\\\\n"
      "next=after\n"
      "crlf=1\r\n"
      "cr=2\r"
      "last=3");
  EXPECT_EQ(p.get("key with=odd:chars"), "v\tx\ny");
  EXPECT_EQ(p.get("uni"), "caf\xc3\xa9 \xe2\x98\x83");
  EXPECT_EQ(p.get("pair"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(p.get("long"), "one two three");
  EXPECT_EQ(p.get("slash"), "a\\");  // an even number of backslashes does not continue
  EXPECT_EQ(p.get("next"), "after");
  EXPECT_EQ(p.get("crlf"), "1");
  EXPECT_EQ(p.get("cr"), "2");
  EXPECT_EQ(p.get("last"), "3");
}

TEST(Properties, MalformedUnicodeEscapeNamesTheLine) {
  try {
    Properties::parse("a=1\nb=\\u12G4\n", "x.properties");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("x.properties: line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Properties::parse("b=\\u12"), std::runtime_error);
}

TEST(Properties, SerializeRoundTrips) {
  Properties p;
  p.set("plain", "value");
  p.set("key with space", " leading space");
  p.set("k=:#!", "#not a comment = : !");
  p.set("ctl", "tab\there\nnewline\\backslash\r\f");
  p.set("utf8", "caf\xc3\xa9");
  p.set("empty", "");
  p.set("plain", "replaced");  // keeps its position
  std::string text = p.serialize("HATS catalog");
  EXPECT_EQ(text.rfind("#HATS catalog\nplain=replaced\n", 0), 0u) << text;
  Properties q = Properties::parse(text);
  EXPECT_EQ(q.entries(), p.entries());
  p.erase("ctl");
  EXPECT_FALSE(p.has("ctl"));
  EXPECT_EQ(p.entries().size(), 5u);
}

TEST(Properties, NumbersAndWords) {
  Properties p = Properties::parse("n=131\nx=3600.0\nbad=12abc\ncols=ra  dec id \n");
  EXPECT_EQ(p.get_int("n", 0), 131);
  EXPECT_EQ(p.get_int("missing", -1), -1);
  EXPECT_DOUBLE_EQ(p.get_double("x", 0), 3600.0);
  EXPECT_THROW(p.get_int("bad", 0), std::runtime_error);
  EXPECT_THROW(p.get_double("bad", 0), std::runtime_error);
  EXPECT_EQ(split_words(p.get("cols")), (std::vector<std::string>{"ra", "dec", "id"}));
  EXPECT_TRUE(split_words("  ").empty());
}

TEST(Properties, ReadsFixtureAndWritesAtomically) {
  Properties p = Properties::read(std::string(AL_TEST_DATA) + "/hats/small_sky/hats.properties");
  EXPECT_EQ(p.get("obs_collection"), "small_sky");
  EXPECT_EQ(p.get_int("hats_nrows", 0), 131);
  EXPECT_EQ(p.get("hats_builder"), "hats-import v0.6.6, hats v0.6.6");
  EXPECT_EQ(p.entries().size(), 17u);  // 18 lines, one a comment
  auto dir = std::filesystem::temp_directory_path() / ("al_props_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "hats.properties").string();
  p.write(path, "HATS catalog");
  Properties q = Properties::read(path);
  EXPECT_EQ(q.entries(), p.entries());
  // No temp files left beside it.
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  EXPECT_EQ(n, 1u);
  std::filesystem::remove_all(dir);
  EXPECT_ANY_THROW(Properties::read(path));
}

}  // namespace
}  // namespace astrolake::catalog
