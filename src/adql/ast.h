// The ADQL abstract syntax tree: plain structs, no behaviour beyond printing. The parser builds
// it; the planner walks it. Nodes are shared_ptr so a planner can reuse subtrees (e.g. when it
// substitutes a select-list alias into ORDER BY) without deep copies; nothing mutates a tree
// after parse() returns.
//
// Conventions a planner relies on:
//  - Regular identifiers keep the user's spelling and compare case-insensitively; quoted ones
//    ("Mixed Case", "/data/gaia") compare exactly. Identifier::matches() does the right thing.
//  - Function names are upper-cased (they are case-insensitive in ADQL).
//  - A leading coordinate-system argument of POINT/CIRCLE/BOX/POLYGON ('ICRS', '', NULL, and
//    'FK5'/'J2000', which differ from ICRS by < 0.03 arcsec) is removed; arguments are the
//    coordinates only. Other systems ('GALACTIC', 'FK4', ...) are rejected by the parser, since
//    astrolake does not transform frames.
//  - A unary minus applied to a numeric literal is folded into the literal (-5, -0.1).
//  - NOT EXISTS / NOT (x) are Unary Not nodes; NOT IN/BETWEEN/LIKE and IS NOT NULL set `negated`.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace astrolake::adql {

struct Identifier {
  std::string name;
  bool quoted = false;  // written as "..." (case-sensitive)

  bool empty() const { return name.empty(); }
  // True if this identifier refers to `other` (a column or table name as stored).
  bool matches(std::string_view other) const;
  std::string to_string() const;  // name, or "name" with "" escapes when quoted
};

struct Expr;
struct Query;
struct TableRef;
using ExprPtr = std::shared_ptr<Expr>;
using QueryPtr = std::shared_ptr<Query>;
using TableRefPtr = std::shared_ptr<TableRef>;

enum class ExprKind {
  Column,    // names = [qualifier..., column], e.g. [g, ra] or [gaiadr3, gaia_source, ra]
  Literal,   // literal / int_value / float_value / string_value
  Unary,     // unary_op args[0]
  Binary,    // args[0] binary_op args[1]
  Function,  // name(args); `distinct` for COUNT(DISTINCT x); `star` for COUNT(*) (args empty)
  Case,      // CASE [args[0] if has_operand] WHEN w THEN t ... [ELSE else_result] END;
             // the WHEN/THEN pairs follow the operand in args: w1, t1, w2, t2, ...
  Cast,      // CAST(args[0] AS cast_type[(cast_length)])
  In,        // args[0] [NOT] IN (args[1..]) or, when subquery is set, IN (subquery)
  Between,   // args[0] [NOT] BETWEEN args[1] AND args[2]
  Like,      // args[0] [NOT] LIKE args[1]; case_insensitive for ILIKE
  IsNull,    // args[0] IS [NOT] NULL
  Exists,    // EXISTS (subquery)
  Subquery,  // (subquery) used as a scalar value
};

enum class LiteralKind { Null, Integer, Float, String, Boolean };

enum class UnaryOp { Neg, Not, BitNot };

// Listed from loosest to tightest binding; see precedence() in ast.cc.
enum class BinaryOp {
  Or, And,
  Eq, Ne, Lt, Le, Gt, Ge,
  BitOr, BitXor, BitAnd,
  Concat,
  Add, Sub,
  Mul, Div, Mod,
};
const char* to_string(BinaryOp op);  // "OR", "<>", "||", "+" ...
bool is_comparison(BinaryOp op);

// Upper bound on Expr::height / Query::height that the parser enforces, so recursive walkers
// (printing, planning, destruction) never run out of stack on hostile input.
constexpr int kMaxTreeHeight = 1000;

struct Expr {
  ExprKind kind = ExprKind::Literal;
  int line = 0, column = 0;  // where the expression starts, for planner error messages
  int height = 1;            // nodes on the longest path down, subqueries included

  std::vector<Identifier> names;  // Column

  LiteralKind literal = LiteralKind::Null;  // Literal
  int64_t int_value = 0;                    // Integer; Boolean as 0/1
  double float_value = 0;                   // Float
  std::string string_value;                 // String

  UnaryOp unary_op = UnaryOp::Neg;    // Unary
  BinaryOp binary_op = BinaryOp::Eq;  // Binary

  std::string name;       // Function: upper case
  bool distinct = false;  // Function: aggregate over DISTINCT values
  bool star = false;      // Function: COUNT(*)

  bool has_operand = false;  // Case: simple CASE x WHEN ...
  ExprPtr else_result;       // Case: may be null

  std::string cast_type;  // Cast: INTEGER, SMALLINT, BIGINT, REAL, DOUBLE PRECISION, CHAR,
                          // VARCHAR, TIMESTAMP, BOOLEAN, POINT, CIRCLE, POLYGON
  int64_t cast_length = -1;  // Cast: CHAR(n)/VARCHAR(n), else -1

  bool negated = false;           // In, Between, Like, IsNull
  bool case_insensitive = false;  // Like: ILIKE
  QueryPtr subquery;              // In, Exists, Subquery

  std::vector<ExprPtr> args;

  // Normalised ADQL text, e.g. "(ra + 1) * 2" or "CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) = 1".
  std::string to_string() const;
  // Column: the last name (the column proper; the others qualify it).
  const Identifier& column_name() const { return names.back(); }
  bool is_integer_literal() const { return kind == ExprKind::Literal && literal == LiteralKind::Integer; }
};

enum class JoinType { Inner, Left, Right, Full, Cross };

enum class TableRefKind {
  Table,     // names = [[catalog.]schema.]table; a quoted name may be a path: "/data/gaia_dr3"
  Subquery,  // (subquery) [AS] alias -- alias is mandatory in ADQL
  Join,      // left JOIN right ON condition | USING (columns); CROSS and NATURAL joins have
             // neither (on == null, using_columns empty)
};

struct TableRef {
  TableRefKind kind = TableRefKind::Table;
  int line = 0, column = 0;
  int height = 1;  // as Expr::height
  std::vector<Identifier> names;  // Table
  Identifier alias;               // Table, Subquery (empty if none)
  QueryPtr subquery;              // Subquery

  JoinType join_type = JoinType::Inner;  // Join
  bool natural = false;                  // Join: NATURAL JOIN (no ON/USING)
  TableRefPtr left, right;               // Join
  ExprPtr on;                            // Join: may be null (CROSS, NATURAL, USING)
  std::vector<Identifier> using_columns; // Join: USING (a, b)

  std::string to_string() const;
};

struct SelectItem {
  bool star = false;                // * (qualifier empty) or t.* / schema.t.*
  std::vector<Identifier> qualifier;
  ExprPtr expr;                     // when !star
  Identifier alias;                 // empty if none
};

struct OrderItem {
  // An integer literal is a 1-based select-list ordinal; a one-part Column may name a
  // select-list alias; anything else is an expression over the FROM tables.
  ExprPtr expr;
  bool descending = false;
};

enum class QueryKind { Select, Union, Except, Intersect };

struct CommonTableExpr {
  Identifier name;
  QueryPtr query;
};

// One query expression: either a SELECT block or a set operation of two queries, plus the
// ORDER BY / OFFSET that apply to its result and the WITH tables visible inside it.
// Evaluation order for a Select: FROM, WHERE, GROUP BY, HAVING, select list, DISTINCT,
// ORDER BY, OFFSET, then TOP.
struct Query {
  QueryKind kind = QueryKind::Select;
  int line = 0, column = 0;
  int height = 1;  // as Expr::height
  std::vector<CommonTableExpr> with;

  // Select
  bool distinct = false;
  std::optional<int64_t> top;
  std::vector<SelectItem> items;
  std::vector<TableRefPtr> from;  // comma-separated entries (implicit cross join); never empty
  ExprPtr where;                  // may be null
  std::vector<ExprPtr> group_by;
  ExprPtr having;                 // may be null

  // Union, Except, Intersect
  bool all = false;  // UNION ALL etc.
  QueryPtr left, right;

  // Apply to this query's result, whatever its kind.
  std::vector<OrderItem> order_by;
  std::optional<int64_t> offset;

  std::string to_string() const;
};

struct Statement {
  bool explain = false;  // EXPLAIN <query>: show the plan instead of running it
  QueryPtr query;

  std::string to_string() const;
};

// A fully parenthesised S-expression with every field, e.g. (+ (col ra) (int 1)). Two trees are
// equal exactly when their dumps are; tests use it for precedence and round-trip checks.
std::string dump(const Expr& e);
std::string dump(const Query& q);
std::string dump(const Statement& s);

}  // namespace astrolake::adql
