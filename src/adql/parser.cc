#include "adql/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>

namespace astrolake::adql {

namespace {

// Words that can never be a bare identifier: they start or separate clauses, so treating them
// as names (e.g. as an implicit alias) would make the grammar ambiguous. Everything else,
// including ADQL function names such as POINT or DISTANCE and SQL words like DEC, may be used
// as a column or table name. Sorted for binary search.
const std::string_view kReserved[] = {
    "ALL", "AND", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CROSS", "DESC", "DISTINCT",
    "ELSE", "END", "EXCEPT", "EXISTS", "FALSE", "FROM", "FULL", "GROUP", "HAVING", "ILIKE", "IN",
    "INNER", "INTERSECT", "IS", "JOIN", "LEFT", "LIKE", "LIMIT", "NATURAL", "NOT", "NULL",
    "OFFSET", "ON", "OR", "ORDER", "OUTER", "RIGHT", "SELECT", "THEN", "TOP", "TRUE", "UNION",
    "USING", "WHEN", "WHERE", "WITH",
};

bool is_reserved(const std::string& upper) {
  return std::binary_search(std::begin(kReserved), std::end(kReserved), std::string_view(upper));
}

// Keywords that start a clause: a misspelling of one (FORM, WHRE) is not taken as an implicit
// alias when the next token shows it cannot be one.
const std::string_view kClauseKeywords[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "ORDER", "HAVING", "JOIN", "UNION", "EXCEPT",
    "INTERSECT", "OFFSET", "INNER", "LEFT", "RIGHT", "CROSS", "NATURAL",
};

// Keywords offered as "did you mean" hints.
const std::string_view kHintKeywords[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "ORDER", "HAVING", "JOIN", "UNION", "EXCEPT",
    "INTERSECT", "OFFSET", "INNER", "LEFT", "RIGHT", "OUTER", "CROSS", "NATURAL", "DISTINCT",
    "BETWEEN", "LIKE", "ILIKE", "NULL", "USING", "EXISTS", "CASE", "WHEN", "THEN", "ELSE",
    "CAST", "TOP", "DESC", "WITH", "EXPLAIN",
};

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), so FORM is one
// edit from FROM.
int edit_distance(std::string_view a, std::string_view b) {
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; i++) d[i][0] = int(i);
  for (size_t j = 0; j <= m; j++) d[0][j] = int(j);
  for (size_t i = 1; i <= n; i++) {
    for (size_t j = 1; j <= m; j++) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The keyword `word` (upper case) is probably a typo of, or "" if none is close.
template <size_t N>
std::string_view near_keyword(const std::string& word, const std::string_view (&list)[N]) {
  if (word.size() < 3 || word.size() > 12) return {};
  std::string_view best;
  int best_d = 3;
  for (std::string_view kw : list) {
    if (kw == word) continue;
    int limit = kw.size() >= 6 ? 2 : 1;
    int d = edit_distance(word, kw);
    if (d <= limit && d < best_d) {
      best = kw;
      best_d = d;
    }
  }
  return best;
}

bool is_aggregate(const std::string& name) {
  return name == "COUNT" || name == "SUM" || name == "AVG" || name == "MIN" || name == "MAX";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : toks_(tokenize(text)) {}

  Statement statement() {
    Statement s;
    if (peek().is_keyword("EXPLAIN")) {
      pos_++;
      s.explain = true;
    }
    s.query = query();
    accept_op(";");
    if (peek().kind != TokenKind::End) fail_expected("end of query");
    return s;
  }

  ExprPtr lone_expression() {
    ExprPtr e = expr();
    if (peek().kind != TokenKind::End) fail_expected("end of expression");
    return e;
  }

 private:
  // ---- token helpers ------------------------------------------------------------------------

  const Token& peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) pos_++;
    return t;
  }
  bool accept_kw(std::string_view kw) {
    if (!peek().is_keyword(kw)) return false;
    pos_++;
    return true;
  }
  bool accept_op(std::string_view op) {
    if (!peek().is_op(op)) return false;
    pos_++;
    return true;
  }
  void expect_kw(std::string_view kw) {
    if (!accept_kw(kw)) fail_expected(std::string(kw));
  }
  void expect_op(std::string_view op) {
    if (!accept_op(op)) fail_expected("'" + std::string(op) + "'");
  }
  // A name token: a quoted identifier or a regular one that is not reserved.
  bool is_name(const Token& t) const {
    return t.kind == TokenKind::QuotedIdentifier || (t.kind == TokenKind::Identifier && !is_reserved(t.upper));
  }

  [[noreturn]] void fail_at(const Token& t, const std::string& msg) const {
    throw SyntaxError(t.line, t.column, msg);
  }

  [[noreturn]] void fail_expected(const std::string& expected) const {
    const Token& t = peek();
    std::string msg = "expected " + expected + " but found " + describe(t);
    if (t.kind == TokenKind::Identifier && !is_reserved(t.upper)) {
      std::string_view kw = near_keyword(t.upper, kHintKeywords);
      if (!kw.empty()) msg += " (did you mean " + std::string(kw) + "?)";
    } else if (t.is_keyword("LIMIT")) {
      msg += " (ADQL has no LIMIT; write SELECT TOP n ...)";
    } else if (t.kind == TokenKind::End && open_parens_ > 0) {
      msg += " (unbalanced parentheses?)";
    }
    throw SyntaxError(t.line, t.column, msg);
  }

  // Bounds recursion: every construct that can nest (parentheses, subqueries, NOT, signs)
  // holds one of these while it parses its inside.
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) {
        p.fail_at(p.peek(), "query is nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
      }
    }
    ~DepthGuard() { p.depth_--; }
  };

  // ---- node construction --------------------------------------------------------------------

  ExprPtr node(ExprKind kind, const Token& at) {
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->column = at.column;
    return e;
  }

  // Computes e->height from its children and enforces kMaxTreeHeight.
  ExprPtr finish(ExprPtr e) {
    int h = 0;
    for (const ExprPtr& a : e->args) h = std::max(h, a->height);
    if (e->else_result) h = std::max(h, e->else_result->height);
    if (e->subquery) h = std::max(h, e->subquery->height);
    e->height = h + 1;
    check_height(e->height, e->line, e->column);
    return e;
  }

  void check_height(int h, int line, int column) const {
    if (h > kMaxTreeHeight) {
      throw SyntaxError(line, column, "expression is too deep (more than " + std::to_string(kMaxTreeHeight) +
                                          " levels of operators); long lists of alternatives are better written "
                                          "with IN (...)");
    }
  }

  ExprPtr binary(BinaryOp op, ExprPtr a, ExprPtr b) {
    auto e = std::make_shared<Expr>();
    e->kind = ExprKind::Binary;
    e->line = a->line;
    e->column = a->column;
    e->binary_op = op;
    e->args = {std::move(a), std::move(b)};
    return finish(e);
  }

  int64_t unsigned_integer(const char* what) {
    const Token& t = peek();
    if (t.kind != TokenKind::Integer || (t.text.size() > 1 && (t.text[1] == 'x' || t.text[1] == 'X'))) {
      fail_expected(std::string("an unsigned integer after ") + what);
    }
    int64_t v = 0;
    auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (r.ec != std::errc()) fail_at(t, std::string(what) + " value " + t.text + " is too large");
    next();
    return v;
  }

  // ---- queries ------------------------------------------------------------------------------

  // [WITH ...] set-expression [ORDER BY ...] [OFFSET n]
  QueryPtr query() {
    DepthGuard guard(*this);
    const Token& start = peek();
    std::vector<CommonTableExpr> with;
    if (accept_kw("WITH")) {
      do {
        CommonTableExpr c;
        if (!is_name(peek())) fail_expected("a name for the WITH query");
        c.name = identifier();
        expect_kw("AS");
        expect_op("(");
        open_parens_++;
        c.query = query();
        expect_op(")");
        open_parens_--;
        with.push_back(std::move(c));
      } while (accept_op(","));
    }
    QueryPtr q = set_expression();
    if (!with.empty()) {
      if (!q->with.empty()) fail_at(start, "WITH given twice for the same query");
      q->with = std::move(with);
    }
    if (peek().is_keyword("ORDER")) {
      if (!q->order_by.empty() || q->offset) {
        fail_expected("end of query (this query already has ORDER BY/OFFSET inside its parentheses)");
      }
      next();
      expect_kw("BY");
      do {
        OrderItem o;
        o.expr = expr();
        if (accept_kw("DESC")) {
          o.descending = true;
        } else {
          accept_kw("ASC");
        }
        q->order_by.push_back(std::move(o));
      } while (accept_op(","));
    }
    if (peek().is_keyword("OFFSET")) {
      if (q->offset) fail_expected("end of query (OFFSET was already given inside the parentheses)");
      next();
      q->offset = unsigned_integer("OFFSET");
    }
    update_height(*q);
    return q;
  }

  // term { UNION|EXCEPT [ALL] term }: INTERSECT binds tighter, all associate to the left.
  QueryPtr set_expression() {
    QueryPtr left = set_term();
    for (;;) {
      QueryKind kind;
      if (peek().is_keyword("UNION")) {
        kind = QueryKind::Union;
      } else if (peek().is_keyword("EXCEPT")) {
        kind = QueryKind::Except;
      } else {
        return left;
      }
      left = set_operation(kind, left, [this] { return set_term(); });
    }
  }

  QueryPtr set_term() {
    QueryPtr left = set_primary();
    while (peek().is_keyword("INTERSECT")) {
      left = set_operation(QueryKind::Intersect, left, [this] { return set_primary(); });
    }
    return left;
  }

  template <class F>
  QueryPtr set_operation(QueryKind kind, QueryPtr left, F operand) {
    const Token& op = next();
    auto q = std::make_shared<Query>();
    q->kind = kind;
    q->line = op.line;
    q->column = op.column;
    q->all = accept_kw("ALL");
    if (!q->all) accept_kw("DISTINCT");
    q->left = std::move(left);
    q->right = operand();
    update_height(*q);
    return q;
  }

  QueryPtr set_primary() {
    if (peek().is_op("(")) {
      next();
      open_parens_++;
      QueryPtr q = query();
      expect_op(")");
      open_parens_--;
      return q;
    }
    return select_block();
  }

  QueryPtr select_block() {
    const Token& start = peek();
    if (!accept_kw("SELECT")) fail_expected("SELECT");
    auto q = std::make_shared<Query>();
    q->line = start.line;
    q->column = start.column;
    // ADQL puts DISTINCT before TOP; the other order is a common slip, accepted too.
    for (int i = 0; i < 2; i++) {
      if (!q->distinct && accept_kw("DISTINCT")) {
        q->distinct = true;
      } else if (!q->distinct && accept_kw("ALL")) {
      } else if (!q->top && accept_kw("TOP")) {
        q->top = unsigned_integer("TOP");
      }
    }
    do {
      q->items.push_back(select_item());
    } while (accept_op(","));
    if (!accept_kw("FROM")) fail_expected("FROM");
    do {
      q->from.push_back(table_reference());
    } while (accept_op(","));
    if (accept_kw("WHERE")) q->where = expr();
    if (accept_kw("GROUP")) {
      expect_kw("BY");
      do {
        q->group_by.push_back(expr());
      } while (accept_op(","));
    }
    if (accept_kw("HAVING")) q->having = expr();
    return q;
  }

  // Length of a `name . name ... . *` run at the cursor, or 0.
  size_t qualified_star_length() const {
    size_t k = 0;
    while (is_name(peek(k)) && peek(k + 1).is_op(".")) {
      if (peek(k + 2).is_op("*")) return k + 3;
      k += 2;
    }
    return 0;
  }

  SelectItem select_item() {
    SelectItem it;
    if (accept_op("*")) {
      it.star = true;
      return it;
    }
    if (size_t n = qualified_star_length()) {
      it.star = true;
      for (size_t i = 0; i + 1 < n; i += 2) {
        it.qualifier.push_back(identifier());
        next();  // '.'
      }
      next();  // '*'
      return it;
    }
    it.expr = expr();
    it.alias = optional_alias();
    return it;
  }

  // [AS] name. Without AS, a word one typo away from a clause keyword (FORM, WHRE) followed by
  // something that cannot follow an alias is left alone, so the error points at the typo.
  Identifier optional_alias() {
    if (accept_kw("AS")) {
      if (!is_name(peek())) fail_expected("an alias name after AS");
      return identifier();
    }
    const Token& t = peek();
    if (!is_name(t)) return {};
    if (t.kind == TokenKind::Identifier && !near_keyword(t.upper, kClauseKeywords).empty()) {
      const Token& after = peek(1);
      bool cannot_follow_alias = after.kind == TokenKind::Identifier || after.kind == TokenKind::QuotedIdentifier ||
                                 after.kind == TokenKind::Integer || after.kind == TokenKind::Decimal ||
                                 after.kind == TokenKind::String || after.is_op("(") || after.is_op("*");
      if (cannot_follow_alias && !is_reserved(after.upper)) return {};
    }
    return identifier();
  }

  Identifier identifier() {
    const Token& t = next();
    Identifier id;
    id.name = t.text;
    id.quoted = t.kind == TokenKind::QuotedIdentifier;
    return id;
  }

  // ---- FROM ---------------------------------------------------------------------------------

  TableRefPtr table_reference() {
    TableRefPtr left = table_primary();
    for (;;) {
      const Token& start = peek();
      auto j = std::make_shared<TableRef>();
      j->kind = TableRefKind::Join;
      j->line = start.line;
      j->column = start.column;
      if (accept_kw("CROSS")) {
        expect_kw("JOIN");
        j->join_type = JoinType::Cross;
      } else {
        j->natural = accept_kw("NATURAL");
        if (accept_kw("INNER")) {
          j->join_type = JoinType::Inner;
        } else if (accept_kw("LEFT")) {
          j->join_type = JoinType::Left;
          accept_kw("OUTER");
        } else if (accept_kw("RIGHT")) {
          j->join_type = JoinType::Right;
          accept_kw("OUTER");
        } else if (accept_kw("FULL")) {
          j->join_type = JoinType::Full;
          accept_kw("OUTER");
        } else if (!peek().is_keyword("JOIN")) {
          if (j->natural) fail_expected("JOIN");
          return left;
        }
        expect_kw("JOIN");
      }
      j->left = std::move(left);
      j->right = table_primary();
      if (j->join_type != JoinType::Cross && !j->natural) {
        if (accept_kw("ON")) {
          j->on = expr();
        } else if (accept_kw("USING")) {
          expect_op("(");
          do {
            if (!is_name(peek())) fail_expected("a column name in USING (...)");
            j->using_columns.push_back(identifier());
          } while (accept_op(","));
          expect_op(")");
        } else {
          // The IVOA validator rejects a bare "t1 INNER JOIN t2", and a forgotten ON would
          // otherwise silently pair every row of two catalogs.
          fail_expected("ON or USING after the joined table (or write CROSS JOIN)");
        }
      }
      int h = std::max(j->left->height, j->right->height);
      if (j->on) h = std::max(h, j->on->height);
      j->height = h + 1;
      check_height(j->height, j->line, j->column);
      left = j;
    }
  }

  // True if the tokens after the '(' at the cursor (skipping further '(') start a query.
  bool paren_starts_query() const {
    size_t k = 0;
    while (peek(k).is_op("(")) k++;
    return peek(k).is_keyword("SELECT") || peek(k).is_keyword("WITH");
  }

  TableRefPtr table_primary() {
    const Token& start = peek();
    auto t = std::make_shared<TableRef>();
    t->line = start.line;
    t->column = start.column;
    if (start.is_op("(")) {
      DepthGuard guard(*this);
      if (paren_starts_query()) {
        size_t saved = pos_;
        int saved_parens = open_parens_;
        try {
          t->kind = TableRefKind::Subquery;
          t->subquery = parenthesized_query();
        } catch (const SyntaxError& first) {
          // "((SELECT ...) AS a JOIN b ON ...)": a parenthesised join starting with a subquery.
          if (!toks_[saved + 1].is_op("(")) throw;
          pos_ = saved;
          open_parens_ = saved_parens;
          return parenthesized_join(first);
        }
        t->height = t->subquery->height + 1;
        t->alias = optional_alias();
        if (t->alias.empty()) fail_expected("an alias for the subquery in FROM, e.g. (SELECT ...) AS sub");
        return t;
      }
      return parenthesized_join(std::nullopt);
    }
    if (!is_name(start)) fail_expected("a table name or (subquery)");
    t->kind = TableRefKind::Table;
    t->names.push_back(identifier());
    while (accept_op(".")) {
      if (!is_name(peek())) fail_expected("a name after '.'");
      t->names.push_back(identifier());
    }
    if (t->names.size() > 3) fail_at(start, "table name has more than three parts (catalog.schema.table)");
    t->alias = optional_alias();
    return t;
  }

  TableRefPtr parenthesized_join(const std::optional<SyntaxError>& earlier) {
    try {
      expect_op("(");
      open_parens_++;
      TableRefPtr inner = table_reference();
      expect_op(")");
      open_parens_--;
      return inner;
    } catch (const SyntaxError& e) {
      // Report whichever reading got further into the text.
      if (earlier && (earlier->line() > e.line() || (earlier->line() == e.line() && earlier->column() > e.column()))) {
        throw *earlier;
      }
      throw;
    }
  }

  QueryPtr parenthesized_query() {
    expect_op("(");
    open_parens_++;
    QueryPtr q = query();
    expect_op(")");
    open_parens_--;
    return q;
  }

  // ---- expressions --------------------------------------------------------------------------

  ExprPtr expr() {
    DepthGuard guard(*this);
    return or_expr();
  }

  ExprPtr or_expr() {
    ExprPtr e = and_expr();
    while (accept_kw("OR")) e = binary(BinaryOp::Or, e, and_expr());
    return e;
  }

  ExprPtr and_expr() {
    ExprPtr e = not_expr();
    while (accept_kw("AND")) e = binary(BinaryOp::And, e, not_expr());
    return e;
  }

  ExprPtr not_expr() {
    if (peek().is_keyword("NOT")) {
      DepthGuard guard(*this);
      ExprPtr e = node(ExprKind::Unary, next());
      e->unary_op = UnaryOp::Not;
      e->args.push_back(not_expr());
      return finish(e);
    }
    return predicate();
  }

  // operand [comparison operand | [NOT] IN | [NOT] BETWEEN | [NOT] [I]LIKE | IS [NOT] NULL]
  ExprPtr predicate() {
    ExprPtr left = bit_or();
    const Token& t = peek();
    if (t.kind == TokenKind::Operator) {
      static const std::pair<std::string_view, BinaryOp> kComparisons[] = {
          {"=", BinaryOp::Eq}, {"<>", BinaryOp::Ne}, {"!=", BinaryOp::Ne}, {"<", BinaryOp::Lt},
          {"<=", BinaryOp::Le}, {">", BinaryOp::Gt}, {">=", BinaryOp::Ge},
      };
      for (const auto& [text, op] : kComparisons) {
        if (t.text == text) {
          next();
          return binary(op, left, bit_or());
        }
      }
      return left;
    }
    if (t.kind != TokenKind::Identifier) return left;
    bool negated = false;
    if (t.is_keyword("NOT")) {
      const Token& after = peek(1);
      if (!after.is_keyword("IN") && !after.is_keyword("BETWEEN") && !after.is_keyword("LIKE") &&
          !after.is_keyword("ILIKE")) {
        return left;  // the caller reports what is wrong
      }
      next();
      negated = true;
    }
    const Token& kw = peek();
    if (kw.is_keyword("IN")) {
      next();
      ExprPtr e = node(ExprKind::In, kw);
      e->line = left->line;
      e->column = left->column;
      e->negated = negated;
      e->args.push_back(left);
      if (!peek().is_op("(")) fail_expected("'(' after IN");
      if (paren_starts_query()) {
        DepthGuard guard(*this);
        e->subquery = parenthesized_query();
      } else {
        next();
        open_parens_++;
        do {
          e->args.push_back(expr());
        } while (accept_op(","));
        expect_op(")");
        open_parens_--;
      }
      return finish(e);
    }
    if (kw.is_keyword("BETWEEN")) {
      next();
      ExprPtr e = node(ExprKind::Between, kw);
      e->line = left->line;
      e->column = left->column;
      e->negated = negated;
      e->args.push_back(left);
      e->args.push_back(bit_or());
      expect_kw("AND");
      e->args.push_back(bit_or());
      return finish(e);
    }
    if (kw.is_keyword("LIKE") || kw.is_keyword("ILIKE")) {
      next();
      ExprPtr e = node(ExprKind::Like, kw);
      e->line = left->line;
      e->column = left->column;
      e->negated = negated;
      e->case_insensitive = kw.upper == "ILIKE";
      e->args.push_back(left);
      e->args.push_back(bit_or());
      return finish(e);
    }
    if (kw.is_keyword("IS")) {
      next();
      ExprPtr e = node(ExprKind::IsNull, kw);
      e->line = left->line;
      e->column = left->column;
      e->negated = accept_kw("NOT");
      if (!accept_kw("NULL")) fail_expected(e->negated ? "NULL" : "NULL or NOT NULL");
      e->args.push_back(left);
      return finish(e);
    }
    return left;
  }

  // One left-associative binary level: operands from `sub`, operators from `ops`.
  template <size_t N>
  ExprPtr binary_level(ExprPtr (Parser::*sub)(), const std::pair<std::string_view, BinaryOp> (&ops)[N]) {
    ExprPtr e = (this->*sub)();
    for (;;) {
      const Token& t = peek();
      if (t.kind != TokenKind::Operator) return e;
      bool matched = false;
      for (const auto& [text, op] : ops) {
        if (t.text == text) {
          next();
          e = binary(op, e, (this->*sub)());
          matched = true;
          break;
        }
      }
      if (!matched) return e;
    }
  }

  ExprPtr bit_or() {
    static const std::pair<std::string_view, BinaryOp> ops[] = {{"|", BinaryOp::BitOr}};
    return binary_level(&Parser::bit_xor, ops);
  }
  ExprPtr bit_xor() {
    static const std::pair<std::string_view, BinaryOp> ops[] = {{"^", BinaryOp::BitXor}};
    return binary_level(&Parser::bit_and, ops);
  }
  ExprPtr bit_and() {
    static const std::pair<std::string_view, BinaryOp> ops[] = {{"&", BinaryOp::BitAnd}};
    return binary_level(&Parser::concat, ops);
  }
  ExprPtr concat() {
    static const std::pair<std::string_view, BinaryOp> ops[] = {{"||", BinaryOp::Concat}};
    return binary_level(&Parser::additive, ops);
  }
  ExprPtr additive() {
    static const std::pair<std::string_view, BinaryOp> ops[] = {{"+", BinaryOp::Add}, {"-", BinaryOp::Sub}};
    return binary_level(&Parser::multiplicative, ops);
  }
  ExprPtr multiplicative() {
    static const std::pair<std::string_view, BinaryOp> ops[] = {
        {"*", BinaryOp::Mul}, {"/", BinaryOp::Div}, {"%", BinaryOp::Mod}};
    return binary_level(&Parser::unary, ops);
  }

  ExprPtr unary() {
    const Token& t = peek();
    if (t.is_op("-") || t.is_op("+") || t.is_op("~")) {
      DepthGuard guard(*this);
      next();
      const Token& operand = peek();
      // A sign directly on a number is part of the literal: -5 is the integer -5, not -(5).
      if (!t.is_op("~") && (operand.kind == TokenKind::Integer || operand.kind == TokenKind::Decimal)) {
        next();
        ExprPtr lit = number(operand, t.is_op("-"));
        lit->line = t.line;
        lit->column = t.column;
        return lit;
      }
      if (t.is_op("+")) return unary();
      ExprPtr e = node(ExprKind::Unary, t);
      e->unary_op = t.is_op("-") ? UnaryOp::Neg : UnaryOp::BitNot;
      e->args.push_back(unary());
      return finish(e);
    }
    return primary();
  }

  ExprPtr number(const Token& t, bool negative) {
    ExprPtr e = node(ExprKind::Literal, t);
    if (t.kind == TokenKind::Integer) {
      e->literal = LiteralKind::Integer;
      if (t.text.size() > 1 && (t.text[1] == 'x' || t.text[1] == 'X')) {
        // Hex literals are 64-bit patterns: 0xFFFFFFFFFFFFFFFF is -1, as in a bit mask.
        std::string_view digits = std::string_view(t.text).substr(2);
        if (digits.size() > 16) fail_at(t, "hexadecimal literal " + t.text + " does not fit in 64 bits");
        uint64_t u = 0;
        std::from_chars(digits.data(), digits.data() + digits.size(), u, 16);
        e->int_value = static_cast<int64_t>(u);
        if (negative) e->int_value = static_cast<int64_t>(0 - u);
        return e;
      }
      uint64_t u = 0;
      auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), u);
      const uint64_t max = uint64_t(std::numeric_limits<int64_t>::max());
      if (r.ec == std::errc() && (u <= max || (negative && u == max + 1))) {
        e->int_value = negative ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
        return e;
      }
      // Too large for 64 bits: keep it as a floating-point number, like PostgreSQL's numeric.
    }
    e->literal = LiteralKind::Float;
    double v = std::strtod(t.text.c_str(), nullptr);
    if (v == std::numeric_limits<double>::infinity()) fail_at(t, "number " + t.text + " is out of range");
    e->float_value = negative ? -v : v;
    return e;
  }

  ExprPtr primary() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::Integer:
      case TokenKind::Decimal:
        next();
        return number(t, false);
      case TokenKind::String: {
        next();
        ExprPtr e = node(ExprKind::Literal, t);
        e->literal = LiteralKind::String;
        e->string_value = t.text;
        // SQL: string literals separated by a line break are one literal ('abc'\n'def').
        while (peek().kind == TokenKind::String && peek().newline_before) e->string_value += next().text;
        return e;
      }
      case TokenKind::QuotedIdentifier: return column_ref();
      case TokenKind::Identifier: break;
      case TokenKind::Operator:
        if (t.is_op("(")) return parenthesized();
        fail_expected("an expression");
      case TokenKind::End: fail_expected("an expression");
    }
    if (t.upper == "NULL" || t.upper == "TRUE" || t.upper == "FALSE") {
      next();
      ExprPtr e = node(ExprKind::Literal, t);
      e->literal = t.upper == "NULL" ? LiteralKind::Null : LiteralKind::Boolean;
      e->int_value = t.upper == "TRUE";
      return e;
    }
    if (t.upper == "CASE") return case_expr();
    if (t.upper == "CAST") return cast_expr();
    if (t.upper == "EXISTS") {
      DepthGuard guard(*this);
      ExprPtr e = node(ExprKind::Exists, next());
      if (!peek().is_op("(")) fail_expected("'(' after EXISTS");
      e->subquery = parenthesized_query();
      return finish(e);
    }
    if (is_reserved(t.upper)) fail_expected("an expression");
    if (peek(1).is_op("(")) return function_call();
    return column_ref();
  }

  ExprPtr parenthesized() {
    DepthGuard guard(*this);
    const Token& open = peek();
    if (peek(1).is_keyword("SELECT") || peek(1).is_keyword("WITH")) {
      ExprPtr e = node(ExprKind::Subquery, open);
      e->subquery = parenthesized_query();
      return finish(e);
    }
    next();
    open_parens_++;
    ExprPtr e = or_expr();
    expect_op(")");
    open_parens_--;
    return e;
  }

  ExprPtr column_ref() {
    const Token& start = peek();
    ExprPtr e = node(ExprKind::Column, start);
    e->names.push_back(identifier());
    while (peek().is_op(".")) {
      next();
      if (!is_name(peek())) fail_expected("a column name after '.'");
      e->names.push_back(identifier());
    }
    if (e->names.size() > 4) fail_at(start, "column reference has more than four parts (catalog.schema.table.column)");
    return e;
  }

  ExprPtr case_expr() {
    DepthGuard guard(*this);
    ExprPtr e = node(ExprKind::Case, next());
    if (!peek().is_keyword("WHEN")) {
      e->has_operand = true;
      e->args.push_back(expr());
    }
    if (!peek().is_keyword("WHEN")) fail_expected("WHEN");
    while (accept_kw("WHEN")) {
      e->args.push_back(expr());
      expect_kw("THEN");
      e->args.push_back(expr());
    }
    if (accept_kw("ELSE")) e->else_result = expr();
    if (!accept_kw("END")) fail_expected(e->else_result ? "END" : "WHEN, ELSE or END");
    return finish(e);
  }

  ExprPtr cast_expr() {
    DepthGuard guard(*this);
    ExprPtr e = node(ExprKind::Cast, next());
    expect_op("(");
    open_parens_++;
    e->args.push_back(expr());
    expect_kw("AS");
    const Token& t = peek();
    static const char* kTypes = "a type (SMALLINT, INTEGER, BIGINT, REAL, DOUBLE PRECISION, CHAR(n), VARCHAR(n), "
                                "TIMESTAMP, BOOLEAN, POINT, CIRCLE, POLYGON)";
    if (t.kind != TokenKind::Identifier) fail_expected(kTypes);
    std::string u = t.upper;
    if (u == "INT" || u == "INTEGER") {
      e->cast_type = "INTEGER";
    } else if (u == "SMALLINT" || u == "BIGINT" || u == "REAL" || u == "TIMESTAMP" || u == "BOOLEAN" ||
               u == "POINT" || u == "CIRCLE" || u == "POLYGON") {
      e->cast_type = u;
    } else if (u == "DOUBLE" || u == "FLOAT") {
      e->cast_type = "DOUBLE PRECISION";
    } else if (u == "CHAR" || u == "CHARACTER" || u == "VARCHAR") {
      e->cast_type = u == "VARCHAR" ? "VARCHAR" : "CHAR";
    } else {
      fail_expected(kTypes);
    }
    next();
    if (u == "DOUBLE") accept_kw("PRECISION");
    if (e->cast_type == "CHAR" || e->cast_type == "VARCHAR") {
      if (accept_op("(")) {
        e->cast_length = unsigned_integer(e->cast_type.c_str());
        expect_op(")");
      }
    }
    expect_op(")");
    open_parens_--;
    return finish(e);
  }

  ExprPtr function_call() {
    DepthGuard guard(*this);
    const Token& name_tok = next();
    ExprPtr e = node(ExprKind::Function, name_tok);
    e->name = name_tok.upper;
    next();  // '('
    open_parens_++;
    if (peek().is_op("*")) {
      if (e->name != "COUNT") fail_at(peek(), "only COUNT accepts * as its argument");
      next();
      e->star = true;
    } else if (!peek().is_op(")")) {
      if (accept_kw("DISTINCT")) {
        e->distinct = true;
      } else {
        accept_kw("ALL");
      }
      do {
        e->args.push_back(expr());
      } while (accept_op(","));
    }
    expect_op(")");
    open_parens_--;
    check_function(name_tok, *e);
    return finish(e);
  }

  // Arity checks for the ADQL geometry functions and aggregates, and removal of the optional
  // coordinate-system argument. Other functions are checked by the planner against the
  // engine's function registry.
  void check_function(const Token& at, Expr& e) {
    const std::string& n = e.name;
    if (e.distinct && !is_aggregate(n)) fail_at(at, "DISTINCT is only allowed in aggregate functions, not in " + n);
    bool shape = n == "POINT" || n == "CIRCLE" || n == "BOX" || n == "POLYGON";
    if (shape && !e.args.empty()) {
      const Expr& first = *e.args[0];
      // NULL in the coordinate-system place: POINT(NULL, ra, dec), CIRCLE(NULL, ra, dec, r), ...
      size_t with_sys = n == "POINT" ? 3 : n == "CIRCLE" ? 4 : n == "BOX" ? 5 : 0;
      bool null_sys = first.kind == ExprKind::Literal && first.literal == LiteralKind::Null &&
                      (e.args.size() == with_sys || (n == "POLYGON" && e.args.size() >= 7 && e.args.size() % 2 == 1));
      if (null_sys) {
        e.args.erase(e.args.begin());
      } else if (first.kind == ExprKind::Literal && first.literal == LiteralKind::String) {
        check_coordinate_system(first);
        e.args.erase(e.args.begin());
      } else if (first.kind == ExprKind::Column && first.names.size() == 1) {
        std::string u = first.names[0].name;
        for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (u == "ICRS" || u == "GALACTIC" || u == "FK5" || u == "FK4" || u == "J2000" || u == "ECLIPTIC") {
          throw SyntaxError(first.line, first.column,
                            "the coordinate system of " + n + " is a string in single quotes: '" + first.names[0].name + "'");
        }
      }
    }
    size_t a = e.args.size();
    auto arity = [&](bool ok, const char* expected) {
      if (!ok) {
        fail_at(at, n + " takes " + expected + ", got " + std::to_string(a) + " argument" + (a == 1 ? "" : "s"));
      }
    };
    if (n == "POINT") {
      arity(a == 2, "2 arguments (ra, dec) after an optional coordinate system");
    } else if (n == "CIRCLE") {
      arity(a == 3 || a == 2, "3 arguments (ra, dec, radius) or 2 (point, radius)");
    } else if (n == "BOX") {
      arity(a == 4 || a == 3, "4 arguments (ra, dec, width, height) or 3 (point, width, height)");
    } else if (n == "POLYGON") {
      arity(a >= 3, "at least 3 vertices (points or ra, dec pairs)");
      bool any_point = false;
      for (const ExprPtr& arg : e.args) any_point |= arg->kind == ExprKind::Function && arg->name == "POINT";
      if (!any_point && a % 2 != 0) arity(false, "an even number of coordinates (ra1, dec1, ra2, dec2, ...)");
      if (!any_point) arity(a >= 6, "at least 3 vertices (6 coordinates)");
    } else if (n == "DISTANCE") {
      arity(a == 2 || a == 4, "2 points or 4 coordinates (ra1, dec1, ra2, dec2)");
    } else if (n == "CONTAINS" || n == "INTERSECTS") {
      arity(a == 2, "2 arguments");
    } else if (n == "AREA" || n == "CENTROID" || n == "COORD1" || n == "COORD2" || n == "COORDSYS" ||
               n == "REGION") {
      arity(a == 1, "1 argument");
    } else if (n == "COALESCE") {
      arity(a >= 1, "at least 1 argument");
    } else if (is_aggregate(n) && !e.star) {
      arity(a == 1, "1 argument");
    }
  }

  void check_coordinate_system(const Expr& lit) {
    // ADQL 2.1 deprecates this argument. astrolake catalogs are ICRS, so '' and ICRS variants
    // (ICRS GEOCENTER, ...) are accepted, and FK5/J2000 too (within 0.03 arcsec of ICRS, and
    // common in older TAP examples); any other frame would silently give wrong positions.
    std::string u;
    for (char c : lit.string_value) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    size_t b = u.find_first_not_of(" \t");
    if (b == std::string::npos) return;
    size_t e = u.find_first_of(" \t", b);
    std::string first = u.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (first == "ICRS" || first == "FK5" || first == "J2000") return;
    throw SyntaxError(lit.line, lit.column,
                      "coordinate system '" + lit.string_value + "' is not supported: positions are ICRS; write 'ICRS' or ''");
  }

  // Query::height from everything the query holds.
  void update_height(Query& q) {
    int h = 0;
    auto e = [&](const ExprPtr& x) {
      if (x) h = std::max(h, x->height);
    };
    for (const CommonTableExpr& c : q.with) h = std::max(h, c.query->height);
    for (const SelectItem& it : q.items) e(it.expr);
    for (const TableRefPtr& t : q.from) h = std::max(h, t->height);
    e(q.where);
    for (const ExprPtr& g : q.group_by) e(g);
    e(q.having);
    if (q.left) h = std::max(h, q.left->height);
    if (q.right) h = std::max(h, q.right->height);
    for (const OrderItem& o : q.order_by) e(o.expr);
    q.height = h + 1;
    check_height(q.height, q.line, q.column);
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int open_parens_ = 0;  // only for the "unbalanced parentheses?" hint
};

}  // namespace

Statement parse(std::string_view text) { return Parser(text).statement(); }

ExprPtr parse_expression(std::string_view text) { return Parser(text).lone_expression(); }

}  // namespace astrolake::adql
