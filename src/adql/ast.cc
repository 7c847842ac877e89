#include "adql/ast.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace astrolake::adql {

namespace {

// Binding strength when printing; higher binds tighter. Mirrors the parser's levels.
enum Prec {
  kOr = 1, kAnd = 2, kNot = 3, kPredicate = 4, kBitOr = 5, kBitXor = 6, kBitAnd = 7,
  kConcat = 8, kAdditive = 9, kMultiplicative = 10, kUnary = 11, kPrimary = 12,
};

int precedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or: return kOr;
    case BinaryOp::And: return kAnd;
    case BinaryOp::Eq: case BinaryOp::Ne: case BinaryOp::Lt:
    case BinaryOp::Le: case BinaryOp::Gt: case BinaryOp::Ge: return kPredicate;
    case BinaryOp::BitOr: return kBitOr;
    case BinaryOp::BitXor: return kBitXor;
    case BinaryOp::BitAnd: return kBitAnd;
    case BinaryOp::Concat: return kConcat;
    case BinaryOp::Add: case BinaryOp::Sub: return kAdditive;
    case BinaryOp::Mul: case BinaryOp::Div: case BinaryOp::Mod: return kMultiplicative;
  }
  return kPrimary;
}

int precedence(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Binary: return precedence(e.binary_op);
    case ExprKind::Unary: return e.unary_op == UnaryOp::Not ? kNot : kUnary;
    case ExprKind::In: case ExprKind::Between: case ExprKind::Like: case ExprKind::IsNull:
      return kPredicate;
    case ExprKind::Literal:
      // A negative number prints as "-5", which the parser reads as a unary minus.
      if (e.literal == LiteralKind::Integer && e.int_value < 0) return kUnary;
      if (e.literal == LiteralKind::Float && std::signbit(e.float_value)) return kUnary;
      return kPrimary;
    default: return kPrimary;
  }
}

// Shortest text that reads back as the same double, and still lexes as a decimal.
std::string format_double(double v) {
  char buf[64];
  for (int digits = 15; digits <= 17; digits++) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 'n': inf/nan never parse anyway
  return s;
}

std::string quote_string(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string join_names(const std::vector<Identifier>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); i++) {
    if (i) out += '.';
    out += names[i].to_string();
  }
  return out;
}

std::string literal_text(const Expr& e) {
  switch (e.literal) {
    case LiteralKind::Null: return "NULL";
    case LiteralKind::Integer: return std::to_string(e.int_value);
    case LiteralKind::Float: return format_double(e.float_value);
    case LiteralKind::String: return quote_string(e.string_value);
    case LiteralKind::Boolean: return e.int_value ? "TRUE" : "FALSE";
  }
  return "NULL";
}

std::string print(const Expr& e);

// Prints `e`, in parentheses if it binds looser than `min_prec`.
std::string print_at(const Expr& e, int min_prec) {
  std::string s = print(e);
  return precedence(e) < min_prec ? "(" + s + ")" : s;
}

std::string print_list(const std::vector<ExprPtr>& v, size_t from = 0) {
  std::string out;
  for (size_t i = from; i < v.size(); i++) {
    if (i > from) out += ", ";
    out += print(*v[i]);
  }
  return out;
}

std::string cast_type_text(const Expr& e) {
  std::string t = e.cast_type;
  if (e.cast_length >= 0) t += "(" + std::to_string(e.cast_length) + ")";
  return t;
}

std::string print(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Column: return join_names(e.names);
    case ExprKind::Literal: return literal_text(e);
    case ExprKind::Unary: {
      if (e.unary_op == UnaryOp::Not) return "NOT " + print_at(*e.args[0], kNot);
      const Expr& x = *e.args[0];
      const char* op = e.unary_op == UnaryOp::Neg ? "-" : "~";
      // "-5" would read back as the literal -5, so a negated number keeps its parentheses.
      bool number = x.kind == ExprKind::Literal && (x.literal == LiteralKind::Integer || x.literal == LiteralKind::Float);
      if (number && e.unary_op == UnaryOp::Neg) return std::string(op) + "(" + print(x) + ")";
      std::string operand = print_at(x, kUnary);
      // "- -x", never "--x" (a comment).
      return op + std::string(operand[0] == '-' || operand[0] == '~' ? " " : "") + operand;
    }
    case ExprKind::Binary: {
      int p = precedence(e.binary_op);
      // Comparisons do not chain, so both sides need a tighter level; the other operators are
      // left-associative, so only the right side does.
      int left_min = p == kPredicate ? p + 1 : p;
      return print_at(*e.args[0], left_min) + " " + to_string(e.binary_op) + " " +
             print_at(*e.args[1], p + 1);
    }
    case ExprKind::Function: {
      if (e.star) return e.name + "(*)";
      return e.name + "(" + (e.distinct ? "DISTINCT " : "") + print_list(e.args) + ")";
    }
    case ExprKind::Case: {
      std::string out = "CASE";
      size_t i = 0;
      if (e.has_operand) out += " " + print(*e.args[i++]);
      for (; i + 1 < e.args.size(); i += 2) {
        out += " WHEN " + print(*e.args[i]) + " THEN " + print(*e.args[i + 1]);
      }
      if (e.else_result) out += " ELSE " + print(*e.else_result);
      return out + " END";
    }
    case ExprKind::Cast: return "CAST(" + print(*e.args[0]) + " AS " + cast_type_text(e) + ")";
    case ExprKind::In: {
      std::string out = print_at(*e.args[0], kPredicate + 1) + (e.negated ? " NOT IN (" : " IN (");
      out += e.subquery ? e.subquery->to_string() : print_list(e.args, 1);
      return out + ")";
    }
    case ExprKind::Between:
      return print_at(*e.args[0], kPredicate + 1) + (e.negated ? " NOT BETWEEN " : " BETWEEN ") +
             print_at(*e.args[1], kPredicate + 1) + " AND " + print_at(*e.args[2], kPredicate + 1);
    case ExprKind::Like:
      return print_at(*e.args[0], kPredicate + 1) + (e.negated ? " NOT" : "") +
             (e.case_insensitive ? " ILIKE " : " LIKE ") + print_at(*e.args[1], kPredicate + 1);
    case ExprKind::IsNull:
      return print_at(*e.args[0], kPredicate + 1) + (e.negated ? " IS NOT NULL" : " IS NULL");
    case ExprKind::Exists: return "EXISTS (" + e.subquery->to_string() + ")";
    case ExprKind::Subquery: return "(" + e.subquery->to_string() + ")";
  }
  return "?";
}

const char* join_keyword(JoinType t) {
  switch (t) {
    case JoinType::Inner: return "INNER JOIN";
    case JoinType::Left: return "LEFT OUTER JOIN";
    case JoinType::Right: return "RIGHT OUTER JOIN";
    case JoinType::Full: return "FULL OUTER JOIN";
    case JoinType::Cross: return "CROSS JOIN";
  }
  return "JOIN";
}

const char* set_keyword(QueryKind k) {
  switch (k) {
    case QueryKind::Union: return "UNION";
    case QueryKind::Except: return "EXCEPT";
    case QueryKind::Intersect: return "INTERSECT";
    default: return "";
  }
}

bool has_modifiers(const Query& q) { return !q.order_by.empty() || q.offset || !q.with.empty(); }

// A set-operation operand needs parentheses when it carries its own ORDER BY/OFFSET/WITH, or
// when it is a set operation binding looser than its position allows (INTERSECT binds tighter
// than UNION/EXCEPT; all are left-associative).
std::string print_set_operand(const Query& child, const Query& parent, bool right) {
  std::string s = child.to_string();
  bool parens = has_modifiers(child);
  if (child.kind != QueryKind::Select) {
    int cp = child.kind == QueryKind::Intersect ? 2 : 1;
    int pp = parent.kind == QueryKind::Intersect ? 2 : 1;
    if (cp < pp || (right && cp == pp)) parens = true;
  }
  return parens ? "(" + s + ")" : s;
}

}  // namespace

bool Identifier::matches(std::string_view other) const {
  if (quoted) return name == other;
  if (name.size() != other.size()) return false;
  for (size_t i = 0; i < name.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != std::tolower(static_cast<unsigned char>(other[i]))) {
      return false;
    }
  }
  return true;
}

std::string Identifier::to_string() const {
  if (!quoted) return name;
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

const char* to_string(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or: return "OR";
    case BinaryOp::And: return "AND";
    case BinaryOp::Eq: return "=";
    case BinaryOp::Ne: return "<>";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Gt: return ">";
    case BinaryOp::Ge: return ">=";
    case BinaryOp::BitOr: return "|";
    case BinaryOp::BitXor: return "^";
    case BinaryOp::BitAnd: return "&";
    case BinaryOp::Concat: return "||";
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::Mod: return "%";
  }
  return "?";
}

bool is_comparison(BinaryOp op) { return precedence(op) == kPredicate; }

std::string Expr::to_string() const { return print(*this); }

std::string TableRef::to_string() const {
  std::string out;
  switch (kind) {
    case TableRefKind::Table: out = join_names(names); break;
    case TableRefKind::Subquery: out = "(" + subquery->to_string() + ")"; break;
    case TableRefKind::Join: {
      out = left->to_string() + " " + (natural ? "NATURAL " : "") + join_keyword(join_type) + " ";
      // Joins associate to the left, so a join on the right needs parentheses.
      out += right->kind == TableRefKind::Join ? "(" + right->to_string() + ")" : right->to_string();
      if (on) out += " ON " + on->to_string();
      if (!using_columns.empty()) {
        out += " USING (";
        for (size_t i = 0; i < using_columns.size(); i++) out += (i ? ", " : "") + using_columns[i].to_string();
        out += ")";
      }
      return out;
    }
  }
  if (!alias.empty()) out += " AS " + alias.to_string();
  return out;
}

std::string Query::to_string() const {
  std::string out;
  if (!with.empty()) {
    out = "WITH ";
    for (size_t i = 0; i < with.size(); i++) {
      if (i) out += ", ";
      out += with[i].name.to_string() + " AS (" + with[i].query->to_string() + ")";
    }
    out += " ";
  }
  if (kind == QueryKind::Select) {
    out += "SELECT ";
    if (distinct) out += "DISTINCT ";
    if (top) out += "TOP " + std::to_string(*top) + " ";
    for (size_t i = 0; i < items.size(); i++) {
      if (i) out += ", ";
      const SelectItem& it = items[i];
      if (it.star) {
        out += it.qualifier.empty() ? "*" : join_names(it.qualifier) + ".*";
      } else {
        out += it.expr->to_string();
        if (!it.alias.empty()) out += " AS " + it.alias.to_string();
      }
    }
    if (!from.empty()) {
      out += " FROM ";
      for (size_t i = 0; i < from.size(); i++) {
        if (i) out += ", ";
        out += from[i]->to_string();
      }
    }
    if (where) out += " WHERE " + where->to_string();
    if (!group_by.empty()) out += " GROUP BY " + print_list(group_by);
    if (having) out += " HAVING " + having->to_string();
  } else {
    out += print_set_operand(*left, *this, false) + " " + set_keyword(kind) + (all ? " ALL " : " ") +
           print_set_operand(*right, *this, true);
  }
  if (!order_by.empty()) {
    out += " ORDER BY ";
    for (size_t i = 0; i < order_by.size(); i++) {
      if (i) out += ", ";
      out += order_by[i].expr->to_string() + (order_by[i].descending ? " DESC" : " ASC");
    }
  }
  if (offset) out += " OFFSET " + std::to_string(*offset);
  return out;
}

std::string Statement::to_string() const { return (explain ? "EXPLAIN " : "") + query->to_string(); }

// ---------------------------------------------------------------------------------------------
// dump: every field, fully parenthesised.

namespace {

std::string dump(const TableRef& t);

std::string using_list(const std::vector<Identifier>& v) {
  std::string out;
  for (const Identifier& id : v) out += " " + id.to_string();
  return out;
}

std::string dump_list(const std::vector<ExprPtr>& v) {
  std::string out;
  for (const ExprPtr& e : v) out += " " + dump(*e);
  return out;
}

std::string dump(const TableRef& t) {
  switch (t.kind) {
    case TableRefKind::Table: return "(table " + join_names(t.names) + " " + t.alias.to_string() + ")";
    case TableRefKind::Subquery: return "(derived " + dump(*t.subquery) + " " + t.alias.to_string() + ")";
    case TableRefKind::Join:
      return std::string("(join ") + (t.natural ? "natural " : "") + join_keyword(t.join_type) + " " +
             dump(*t.left) + " " + dump(*t.right) + " (on " + (t.on ? dump(*t.on) : "") + ") (using" +
             using_list(t.using_columns) + "))";
  }
  return "?";
}

}  // namespace

std::string dump(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Column: return "(col " + join_names(e.names) + ")";
    case ExprKind::Literal:
      switch (e.literal) {
        case LiteralKind::Null: return "(null)";
        case LiteralKind::Integer: return "(int " + std::to_string(e.int_value) + ")";
        case LiteralKind::Float: {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.17g", e.float_value);
          return std::string("(float ") + buf + ")";
        }
        case LiteralKind::String: return "(str " + quote_string(e.string_value) + ")";
        case LiteralKind::Boolean: return e.int_value ? "(bool true)" : "(bool false)";
      }
      return "?";
    case ExprKind::Unary: {
      const char* op = e.unary_op == UnaryOp::Neg ? "neg" : e.unary_op == UnaryOp::Not ? "not" : "bitnot";
      return std::string("(") + op + " " + dump(*e.args[0]) + ")";
    }
    case ExprKind::Binary:
      return std::string("(") + to_string(e.binary_op) + " " + dump(*e.args[0]) + " " + dump(*e.args[1]) + ")";
    case ExprKind::Function:
      return "(fn " + e.name + (e.distinct ? " distinct" : "") + (e.star ? " *" : "") + dump_list(e.args) + ")";
    case ExprKind::Case:
      return std::string("(case") + (e.has_operand ? " operand" : "") + dump_list(e.args) +
             (e.else_result ? " (else " + dump(*e.else_result) + ")" : "") + ")";
    case ExprKind::Cast: return "(cast " + cast_type_text(e) + " " + dump(*e.args[0]) + ")";
    case ExprKind::In:
      return std::string(e.negated ? "(notin" : "(in") + dump_list(e.args) +
             (e.subquery ? " " + dump(*e.subquery) : "") + ")";
    case ExprKind::Between: return std::string(e.negated ? "(notbetween" : "(between") + dump_list(e.args) + ")";
    case ExprKind::Like:
      return std::string("(") + (e.negated ? "not" : "") + (e.case_insensitive ? "ilike" : "like") +
             dump_list(e.args) + ")";
    case ExprKind::IsNull: return std::string(e.negated ? "(isnotnull" : "(isnull") + dump_list(e.args) + ")";
    case ExprKind::Exists: return "(exists " + dump(*e.subquery) + ")";
    case ExprKind::Subquery: return "(subquery " + dump(*e.subquery) + ")";
  }
  return "?";
}

std::string dump(const Query& q) {
  std::string out = "(query";
  for (const CommonTableExpr& c : q.with) out += " (with " + c.name.to_string() + " " + dump(*c.query) + ")";
  if (q.kind == QueryKind::Select) {
    out += " (select";
    if (q.distinct) out += " distinct";
    if (q.top) out += " (top " + std::to_string(*q.top) + ")";
    out += " (items";
    for (const SelectItem& it : q.items) {
      if (it.star) {
        out += " (star " + join_names(it.qualifier) + ")";
      } else {
        out += " (item " + dump(*it.expr) + " " + it.alias.to_string() + ")";
      }
    }
    out += ") (from";
    for (const TableRefPtr& t : q.from) out += " " + dump(*t);
    out += ")";
    if (q.where) out += " (where " + dump(*q.where) + ")";
    if (!q.group_by.empty()) out += " (group" + dump_list(q.group_by) + ")";
    if (q.having) out += " (having " + dump(*q.having) + ")";
    out += ")";
  } else {
    out += std::string(" (") + set_keyword(q.kind) + (q.all ? " all " : " ") + dump(*q.left) + " " +
           dump(*q.right) + ")";
  }
  if (!q.order_by.empty()) {
    out += " (order";
    for (const OrderItem& o : q.order_by) out += " " + dump(*o.expr) + (o.descending ? " desc" : " asc");
    out += ")";
  }
  if (q.offset) out += " (offset " + std::to_string(*q.offset) + ")";
  return out + ")";
}

std::string dump(const Statement& s) { return std::string(s.explain ? "(explain " : "(") + dump(*s.query) + ")"; }

}  // namespace astrolake::adql
