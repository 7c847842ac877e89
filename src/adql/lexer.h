// ADQL tokens. The whole text is tokenised up front (queries are small), so the parser can look
// ahead freely. Keywords are not a separate kind: every bare word is an Identifier token whose
// `upper` holds its upper-cased spelling, and the parser decides from context whether it is a
// keyword (ADQL keywords are case-insensitive; only a handful are reserved, see parser.cc).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace astrolake::adql {

// Every malformed query throws this. what() reads e.g.
//   "line 1, column 24: expected FROM but found 'FORM' (did you mean FROM?)"
class SyntaxError : public std::invalid_argument {
 public:
  SyntaxError(int line, int column, const std::string& message)
      : std::invalid_argument("line " + std::to_string(line) + ", column " + std::to_string(column) +
                              ": " + message),
        line_(line), column_(column) {}
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_, column_;
};

enum class TokenKind {
  Identifier,        // regular identifier or keyword: letters, digits, '_'
  QuotedIdentifier,  // "..." with "" unescaped; case preserved
  Integer,           // 42, 0x2A
  Decimal,           // 1.5, .5, 3600., 1e-3
  String,            // '...' with '' unescaped
  Operator,          // = <> != < <= > >= + - * / % || & | ^ ~ . , ( ) ;
  End,               // after the last token
};

struct Token {
  TokenKind kind = TokenKind::End;
  std::string text;   // unescaped content for strings/quoted identifiers, else as written
  std::string upper;  // Identifier only: text upper-cased, for keyword checks
  int line = 1;       // 1-based; column counts UTF-8 characters
  int column = 1;
  size_t offset = 0;  // byte offset of the first character
  size_t length = 0;  // bytes in the source, quotes included
  bool newline_before = false;  // a line break since the previous token (SQL joins 'a'\n'b')

  bool is_keyword(std::string_view kw) const { return kind == TokenKind::Identifier && upper == kw; }
  bool is_op(std::string_view op) const { return kind == TokenKind::Operator && text == op; }
};

// Splits `text` into tokens ending with one End token. Comments (-- to end of line, /* */ which
// may nest) and whitespace are skipped. As in SQL, a number ends where a non-digit starts, so
// "2desc" is 2 DESC. Throws SyntaxError for unterminated strings, quoted identifiers or
// comments and for characters outside the ADQL alphabet.
std::vector<Token> tokenize(std::string_view text);

// How a token is shown in error messages: 'FORM', '(', end of query, string 'abc'.
std::string describe(const Token& t);

}  // namespace astrolake::adql
