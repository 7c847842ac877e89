// ADQL 2.1 parser: recursive descent over the token list from lexer.h, producing the AST in
// ast.h. Accepts the ADQL 2.1 grammar (TOP, OFFSET, WITH, UNION/EXCEPT/INTERSECT, ILIKE,
// LOWER/UPPER, CAST, COALESCE, bitwise & | ^ ~, hex literals, the geometry functions) plus CASE,
// scalar subqueries, TRUE/FALSE and `%`, and a leading EXPLAIN.
//
// Operator precedence, loosest first (SQL/PostgreSQL order):
//   OR; AND; NOT; comparisons and [NOT] IN/BETWEEN/LIKE/ILIKE, IS [NOT] NULL (non-chaining);
//   |; ^; &; ||; + -; * / %; unary - + ~.
//
// Errors are SyntaxError with line/column, the offending token and what was expected, e.g.
// "line 1, column 18: expected FROM but found 'FORM' (did you mean FROM?)". Parsing never
// crashes: nesting beyond kMaxDepth levels (parentheses, subqueries, NOTs, signs) or a tree
// taller than kMaxTreeHeight is reported as a SyntaxError too.
#pragma once
#include <string_view>

#include "adql/ast.h"
#include "adql/lexer.h"

namespace astrolake::adql {

constexpr int kMaxDepth = 200;

// Parses one statement: [EXPLAIN] query [;]
Statement parse(std::string_view text);

// Parses a lone expression (a WHERE-style condition or a value), e.g. for command-line filters.
ExprPtr parse_expression(std::string_view text);

}  // namespace astrolake::adql
