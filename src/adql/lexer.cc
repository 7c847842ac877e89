#include "adql/lexer.h"

#include <cctype>

namespace astrolake::adql {

namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(char c) { return is_letter(c) || is_digit(c) || c == '_'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      int line_before = line_;
      skip_space_and_comments();
      Token t;
      t.newline_before = line_ != line_before;
      t.line = line_;
      t.column = column_;
      t.offset = pos_;
      if (pos_ >= s_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      lex_one(t);
      t.length = pos_ - t.offset;
      out.push_back(std::move(t));
    }
  }

 private:
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }

  // Advances one byte, keeping line/column right. Columns count characters, so UTF-8
  // continuation bytes (10xxxxxx) do not advance the column.
  void advance() {
    char c = s_[pos_++];
    if (c == '\n') {
      line_++;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      column_++;
    }
  }

  [[noreturn]] void fail(int line, int column, const std::string& msg) {
    throw SyntaxError(line, column, msg);
  }

  void skip_space_and_comments() {
    for (;;) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '-' && peek(1) == '-') {
        while (pos_ < s_.size() && peek() != '\n') advance();
      } else if (c == '/' && peek(1) == '*') {
        int line = line_, column = column_;
        advance();
        advance();
        int depth = 1;  // nested like PostgreSQL, so commenting out a commented block works
        while (depth > 0) {
          if (pos_ >= s_.size()) fail(line, column, "unterminated /* comment");
          if (peek() == '*' && peek(1) == '/') {
            advance();
            advance();
            depth--;
          } else if (peek() == '/' && peek(1) == '*') {
            advance();
            advance();
            depth++;
          } else {
            advance();
          }
        }
      } else {
        return;
      }
    }
  }

  void lex_one(Token& t) {
    char c = peek();
    if (c == '_') {
      fail(t.line, t.column, "identifiers start with a letter; write names like _x in double quotes: \"_x\"");
    }
    if (is_letter(c)) {
      t.kind = TokenKind::Identifier;
      while (is_word_char(peek())) advance();
      t.text = std::string(s_.substr(t.offset, pos_ - t.offset));
      t.upper = t.text;
      for (char& ch : t.upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    } else if (is_digit(c) || (c == '.' && is_digit(peek(1)))) {
      lex_number(t);
    } else if (c == '\'') {
      t.kind = TokenKind::String;
      lex_quoted(t, '\'', "unterminated string literal (a quote inside a string is written '')");
    } else if (c == '"') {
      t.kind = TokenKind::QuotedIdentifier;
      lex_quoted(t, '"', "unterminated quoted identifier");
      if (t.text.empty()) fail(t.line, t.column, "empty quoted identifier \"\"");
    } else {
      lex_operator(t);
    }
  }

  void lex_number(Token& t) {
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X') && std::isxdigit(static_cast<unsigned char>(peek(2)))) {
      // ADQL 2.1 optional hexadecimal literal.
      advance();
      advance();
      while (std::isxdigit(static_cast<unsigned char>(peek()))) advance();
      t.kind = TokenKind::Integer;
      t.text = std::string(s_.substr(t.offset, pos_ - t.offset));
      return;
    }
    bool decimal = false;
    while (is_digit(peek())) advance();
    if (peek() == '.') {
      decimal = true;
      advance();
      while (is_digit(peek())) advance();
    }
    // An exponent only if digits follow: "1e5" is one number, "1 e" (from "1e") a number and a name.
    size_t sign = peek(1) == '+' || peek(1) == '-' ? 1 : 0;
    if ((peek() == 'e' || peek() == 'E') && is_digit(peek(1 + sign))) {
      decimal = true;
      advance();
      if (sign) advance();
      while (is_digit(peek())) advance();
    }
    t.kind = decimal ? TokenKind::Decimal : TokenKind::Integer;
    t.text = std::string(s_.substr(t.offset, pos_ - t.offset));
  }

  // Reads quote ... quote where a doubled quote stands for one.
  void lex_quoted(Token& t, char q, const char* unterminated) {
    advance();
    for (;;) {
      if (pos_ >= s_.size()) fail(t.line, t.column, unterminated);
      char c = peek();
      if (c == q) {
        if (peek(1) == q) {
          t.text += q;
          advance();
          advance();
          continue;
        }
        advance();
        return;
      }
      t.text += c;
      advance();
    }
  }

  void lex_operator(Token& t) {
    static const char* const kTwo[] = {"<>", "!=", "<=", ">=", "||"};
    t.kind = TokenKind::Operator;
    for (const char* op : kTwo) {
      if (peek() == op[0] && peek(1) == op[1]) {
        t.text = op;
        advance();
        advance();
        return;
      }
    }
    char c = peek();
    static const std::string_view kOne = "=<>+-*/%&|^~.,();";
    if (kOne.find(c) == std::string_view::npos) {
      unsigned char u = static_cast<unsigned char>(c);
      std::string shown;
      if (u >= 0x20 && u < 0x7F) {
        shown = "'" + std::string(1, c) + "'";
      } else {
        static const char* hex = "0123456789ABCDEF";
        shown = std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
        if (u >= 0x80) shown += " (identifiers with non-ASCII letters must be written in double quotes)";
      }
      fail(t.line, t.column, "unexpected character " + shown);
    }
    t.text = std::string(1, c);
    advance();
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view text) { return Lexer(text).run(); }

std::string describe(const Token& t) {
  auto clip = [](const std::string& s) { return s.size() > 40 ? s.substr(0, 37) + "..." : s; };
  switch (t.kind) {
    case TokenKind::End: return "end of query";
    case TokenKind::String: {
      std::string q;
      for (char c : clip(t.text)) {
        q += c;
        if (c == '\'') q += '\'';
      }
      return "string '" + q + "'";
    }
    case TokenKind::QuotedIdentifier: return "'\"" + clip(t.text) + "\"'";
    default: return "'" + clip(t.text) + "'";
  }
}

}  // namespace astrolake::adql
