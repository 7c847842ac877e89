#include "adql/lexer.h"

#include <gtest/gtest.h>

using namespace astrolake::adql;

namespace {

std::string lex_error(const std::string& text) {
  try {
    tokenize(text);
  } catch (const SyntaxError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Lexer, PositionsAcrossLines) {
  auto t = tokenize("SELECT ra,\n  dec\tFROM t -- comment\n/* block\n */ WHERE x");
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(t[0].upper, "SELECT");
  EXPECT_EQ(t[0].line, 1);
  EXPECT_EQ(t[0].column, 1);
  EXPECT_EQ(t[1].text, "ra");
  EXPECT_EQ(t[1].column, 8);
  EXPECT_TRUE(t[2].is_op(","));
  EXPECT_EQ(t[3].text, "dec");
  EXPECT_EQ(t[3].line, 2);
  EXPECT_EQ(t[3].column, 3);
  EXPECT_EQ(t[4].upper, "FROM");
  EXPECT_EQ(t[4].column, 7);  // a tab counts as one column
  EXPECT_EQ(t[6].upper, "WHERE");
  EXPECT_EQ(t[6].line, 4);
  EXPECT_EQ(t[6].column, 5);
  EXPECT_EQ(t[8].kind, TokenKind::End);
}

TEST(Lexer, KeywordsAreCaseInsensitiveIdentifiersKeepSpelling) {
  auto t = tokenize("sElEcT Ra");
  EXPECT_TRUE(t[0].is_keyword("SELECT"));
  EXPECT_EQ(t[1].text, "Ra");
  EXPECT_EQ(t[1].upper, "RA");
}

TEST(Lexer, QuotedIdentifiersAndStrings) {
  auto t = tokenize(R"("B-V" "say ""hi""" 'it''s' '' "Mixed")");
  EXPECT_EQ(t[0].kind, TokenKind::QuotedIdentifier);
  EXPECT_EQ(t[0].text, "B-V");
  EXPECT_EQ(t[1].text, "say \"hi\"");
  EXPECT_EQ(t[2].kind, TokenKind::String);
  EXPECT_EQ(t[2].text, "it's");
  EXPECT_EQ(t[3].kind, TokenKind::String);
  EXPECT_EQ(t[3].text, "");
  EXPECT_EQ(t[4].text, "Mixed");
  EXPECT_EQ(t[4].length, 7u);
}

TEST(Lexer, Numbers) {
  auto t = tokenize("42 1.5 .5 3600. 1e-3 1.E+5 0x1F 2.5e10");
  TokenKind kinds[] = {TokenKind::Integer, TokenKind::Decimal, TokenKind::Decimal, TokenKind::Decimal,
                       TokenKind::Decimal, TokenKind::Decimal, TokenKind::Integer, TokenKind::Decimal};
  const char* texts[] = {"42", "1.5", ".5", "3600.", "1e-3", "1.E+5", "0x1F", "2.5e10"};
  for (int i = 0; i < 8; i++) {
    EXPECT_EQ(t[i].kind, kinds[i]) << i;
    EXPECT_EQ(t[i].text, texts[i]) << i;
  }
  // "1/3600." is three tokens, "t.ra" too.
  EXPECT_EQ(tokenize("1/3600.").size(), 4u);
  auto q = tokenize("t.ra");
  EXPECT_EQ(q[0].text, "t");
  EXPECT_TRUE(q[1].is_op("."));
  EXPECT_EQ(q[2].text, "ra");
}

TEST(Lexer, NumbersEndWhereDigitsEnd) {
  // As in SQL (and the IVOA validator's expectations): "2desc" is 2 DESC, "89x" is 89 x.
  auto t = tokenize("2desc 89x 1e 0x 1.2.3 1e+ 0x1Fg");
  const char* texts[] = {"2", "desc", "89", "x", "1", "e", "0", "x", "1.2", ".3", "1", "e", "+", "0x1F", "g"};
  ASSERT_EQ(t.size(), 16u);
  for (int i = 0; i < 15; i++) EXPECT_EQ(t[i].text, texts[i]) << i;
  EXPECT_EQ(t[9].kind, TokenKind::Decimal);
}

TEST(Lexer, NewlineBefore) {
  auto t = tokenize("'a' 'b'\n'c' -- x\n'd'");
  EXPECT_FALSE(t[0].newline_before);
  EXPECT_FALSE(t[1].newline_before);
  EXPECT_TRUE(t[2].newline_before);
  EXPECT_TRUE(t[3].newline_before);
}

TEST(Lexer, Operators) {
  auto t = tokenize("= <> != < <= > >= + - * / % || & | ^ ~ . , ( ) ;");
  const char* ops[] = {"=", "<>", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
                       "||", "&", "|", "^", "~", ".", ",", "(", ")", ";"};
  ASSERT_EQ(t.size(), 23u);
  for (int i = 0; i < 22; i++) EXPECT_TRUE(t[i].is_op(ops[i])) << ops[i] << " vs " << t[i].text;
  // "a--b" is a and a comment; "1- -2" is 1, -, -, 2.
  EXPECT_EQ(tokenize("a--b").size(), 2u);
  EXPECT_EQ(tokenize("1- -2").size(), 5u);
}

TEST(Lexer, NestedBlockComments) {
  auto t = tokenize("a /* outer /* inner */ still comment */ b");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].text, "b");
}

TEST(Lexer, UnicodeColumns) {
  // Columns count characters: the 2-byte 'é' in the string is one column.
  auto t = tokenize("'é' x");
  EXPECT_EQ(t[1].column, 5);
  EXPECT_EQ(t[1].offset, 5u);
}

TEST(Lexer, Errors) {
  EXPECT_EQ(lex_error("SELECT 'abc"),
            "line 1, column 8: unterminated string literal (a quote inside a string is written '')");
  EXPECT_EQ(lex_error("SELECT\n  \"abc"), "line 2, column 3: unterminated quoted identifier");
  EXPECT_EQ(lex_error("a /* b"), "line 1, column 3: unterminated /* comment");
  EXPECT_EQ(lex_error("a # b"), "line 1, column 3: unexpected character '#'");
  EXPECT_EQ(lex_error("SELECT _x"),
            "line 1, column 8: identifiers start with a letter; write names like _x in double quotes: \"_x\"");
  EXPECT_EQ(lex_error("\"\""), "line 1, column 1: empty quoted identifier \"\"");
  EXPECT_NE(lex_error("x = \xC3\xA9").find("line 1, column 5: unexpected character byte 0xC3"), std::string::npos);
  EXPECT_EQ(lex_error(std::string("a\0b", 3)), "line 1, column 2: unexpected character byte 0x00");
}

}  // namespace
