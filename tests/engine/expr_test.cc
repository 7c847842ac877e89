#include "engine/expr.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/functions.h"
#include "test_util.h"

using namespace astrolake::engine;
using namespace astrolake::engine::testing;
using astrolake::parquet::Type;

namespace {

using OptI = std::optional<int64_t>;
using OptB = std::optional<bool>;

OptB get_b(const Column& c, size_t r) {
  if (c.is_null(r)) return std::nullopt;
  return value_at(c, r).i != 0;
}

TEST(Expr, ArithmeticMatchesBruteForce) {
  Table t = random_table(2000, 1);
  const Column& I = t.col("i");
  const Column& J = t.col("j");
  const Column& X = t.col("x");
  BinOp ops[] = {BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Mod};
  for (BinOp op : ops) {
    Column r = evaluate(*binary(op, col("i"), col("k")), t);
    ASSERT_EQ(r.field.type, Type::Int64);
    Column k = t.col("k");
    for (size_t row = 0; row < t.rows(); row++) {
      OptI a = get_i(I, row), b = get_i(k, row);
      OptI want;
      if (a && b) {
        switch (op) {
          case BinOp::Add: want = *a + *b; break;
          case BinOp::Sub: want = *a - *b; break;
          case BinOp::Mul: want = *a * *b; break;
          case BinOp::Div: if (*b != 0) want = *a / *b; break;
          case BinOp::Mod: if (*b != 0) want = *a % *b; break;
          default: break;
        }
      }
      ASSERT_EQ(get_i(r, row), want) << binop_symbol(op) << " row " << row;
    }
    // Mixed int/double promotes to double.
    Column d = evaluate(*binary(op, col("j"), col("x")), t);
    ASSERT_EQ(d.field.type, Type::Double);
    for (size_t row = 0; row < t.rows(); row++) {
      auto a = get_d(J, row), b = get_d(X, row);
      std::optional<double> want;
      if (a && b) {
        switch (op) {
          case BinOp::Add: want = *a + *b; break;
          case BinOp::Sub: want = *a - *b; break;
          case BinOp::Mul: want = *a * *b; break;
          case BinOp::Div: if (*b != 0) want = *a / *b; break;
          case BinOp::Mod: if (*b != 0) want = std::fmod(*a, *b); break;
          default: break;
        }
      }
      ASSERT_EQ(get_d(d, row), want) << binop_symbol(op) << " row " << row;
    }
  }
}

TEST(Expr, DivisionByZeroIsNull) {
  Table t = random_table(10, 2, 0);
  Column r = evaluate(*binary(BinOp::Div, col("j"), lit_int(0)), t);
  Column m = evaluate(*binary(BinOp::Mod, col("x"), lit_double(0)), t);
  for (size_t i = 0; i < 10; i++) {
    EXPECT_TRUE(r.is_null(i));
    EXPECT_TRUE(m.is_null(i));
  }
}

// Every int64 operation whose result does not fit is an error naming the operation, never a
// wrapped value; results just inside the range are exact, and NULL rows are not checked.
TEST(Expr, IntegerOverflowIsAnError) {
  Table t = random_table(3, 2, 0);
  auto expect_overflow = [&](const ExprPtr& e, const std::string& text) {
    try {
      Column c = evaluate(*e, t);
      ADD_FAILURE() << "no error for " << text << ", got " << value_at(c, 0).to_string();
    } catch (const ExprError& err) {
      EXPECT_NE(std::string(err.what()).find("integer overflow"), std::string::npos) << err.what();
      EXPECT_NE(std::string(err.what()).find(text), std::string::npos) << err.what();
    }
  };
  expect_overflow(binary(BinOp::Add, lit_int(INT64_MAX), lit_int(1)), "9223372036854775807 + 1");
  expect_overflow(binary(BinOp::Sub, lit_int(INT64_MIN), lit_int(1)), "-9223372036854775808 - 1");
  expect_overflow(binary(BinOp::Mul, lit_int(int64_t(1) << 32), lit_int(int64_t(1) << 31)), "*");
  expect_overflow(binary(BinOp::Div, lit_int(INT64_MIN), lit_int(-1)), "/ -1");
  expect_overflow(negate(lit_int(INT64_MIN)), "0 - -9223372036854775808");
  expect_overflow(call("abs", {lit_int(INT64_MIN)}), "abs(-9223372036854775808)");
  // Edges that fit are exact.
  EXPECT_EQ(get_i(evaluate(*binary(BinOp::Add, lit_int(INT64_MAX - 1), lit_int(1)), t), 0), INT64_MAX);
  EXPECT_EQ(get_i(evaluate(*binary(BinOp::Mul, lit_int(-(int64_t(1) << 62)), lit_int(2)), t), 0), INT64_MIN);
  EXPECT_EQ(get_i(evaluate(*negate(lit_int(INT64_MAX)), t), 0), -INT64_MAX);
  EXPECT_EQ(get_i(evaluate(*binary(BinOp::Mod, lit_int(INT64_MIN), lit_int(-1)), t), 0), 0);
  // A NULL operand gives NULL even where its slot could overflow.
  Table nt;
  nt.columns.emplace_back(field("v", Type::Int64));
  nt.columns[0].push<int64_t>(INT64_MAX);
  nt.columns[0].valid = {0};  // the slot holds INT64_MAX, but the row is NULL
  Column n = evaluate(*binary(BinOp::Add, col("v"), lit_int(1)), nt);
  EXPECT_TRUE(n.is_null(0));
  EXPECT_TRUE(evaluate(*call("abs", {binary(BinOp::Sub, col("v"), lit_int(INT64_MIN))}), nt).is_null(0));
}

TEST(Expr, ComparisonsMatchBruteForce) {
  Table t = random_table(1500, 3);
  BinOp ops[] = {BinOp::Eq, BinOp::Ne, BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge};
  for (BinOp op : ops) {
    Column r = evaluate(*binary(op, col("i"), col("k")), t);
    Column rs = evaluate(*binary(op, col("s"), lit_str("delta")), t);
    Column rd = evaluate(*binary(op, col("x"), col("i")), t);
    for (size_t row = 0; row < t.rows(); row++) {
      auto chk = [op](auto a, auto b) -> OptB {
        if (!a || !b) return std::nullopt;
        switch (op) {
          case BinOp::Eq: return *a == *b;
          case BinOp::Ne: return *a != *b;
          case BinOp::Lt: return *a < *b;
          case BinOp::Le: return *a <= *b;
          case BinOp::Gt: return *a > *b;
          default: return *a >= *b;
        }
      };
      ASSERT_EQ(get_b(r, row), chk(get_i(t.col("i"), row), get_i(t.col("k"), row)));
      ASSERT_EQ(get_b(rs, row), chk(get_s(t.col("s"), row), std::optional<std::string>("delta")));
      ASSERT_EQ(get_b(rd, row), chk(get_d(t.col("x"), row), get_d(t.col("i"), row)));
    }
  }
}

TEST(Expr, BigIntegersCompareExactly) {
  // _healpix_29 values exceed 2^53: comparing through double would merge neighbours.
  Table t;
  t.columns.emplace_back(field("h", Type::Int64));
  int64_t base = 3458764513820540928LL;
  for (int i = 0; i < 4; i++) t.columns[0].push<int64_t>(base + i);
  Column r = evaluate(*binary(BinOp::Ge, col("h"), lit_int(base + 2)), t);
  EXPECT_EQ(get_b(r, 1), false);
  EXPECT_EQ(get_b(r, 2), true);
}

TEST(Expr, BooleanComparesWithIntegerAsZeroOne) {
  // ADQL predicates are written `1 = CONTAINS(...)`; our boolean functions must accept that form.
  Table t;
  t.columns.emplace_back(field("b", Type::Bool));
  t.columns[0].push<uint8_t>(1);
  t.columns[0].push<uint8_t>(0);
  Column eq1 = evaluate(*binary(BinOp::Eq, lit_int(1), col("b")), t);
  Column eq0 = evaluate(*binary(BinOp::Eq, col("b"), lit_int(0)), t);
  EXPECT_EQ(get_b(eq1, 0), true);
  EXPECT_EQ(get_b(eq1, 1), false);
  EXPECT_EQ(get_b(eq0, 0), false);
  EXPECT_EQ(get_b(eq0, 1), true);
}

// Truth table over TRUE, FALSE, NULL for both operands.
TEST(Expr, ThreeValuedLogic) {
  Table t;
  t.columns.emplace_back(field("a", Type::Bool));
  t.columns.emplace_back(field("b", Type::Bool));
  OptB vals[] = {true, false, std::nullopt};
  for (OptB a : vals)
    for (OptB b : vals) {
      if (a) t.columns[0].push<uint8_t>(*a); else t.columns[0].push_null();
      if (b) t.columns[1].push<uint8_t>(*b); else t.columns[1].push_null();
    }
  Column land = evaluate(*and_(col("a"), col("b")), t);
  Column lor = evaluate(*or_(col("a"), col("b")), t);
  Column lnot = evaluate(*not_(col("a")), t);
  Column isn = evaluate(*is_null(and_(col("a"), col("b"))), t);
  Column isnn = evaluate(*is_null(col("a"), true), t);
  // Rows: (T,T) (T,F) (T,N) (F,T) (F,F) (F,N) (N,T) (N,F) (N,N)
  OptB N = std::nullopt;
  std::vector<OptB> want_and = {true, false, N, false, false, false, N, false, N};
  std::vector<OptB> want_or = {true, true, true, true, false, N, true, N, N};
  std::vector<OptB> want_not = {false, false, false, true, true, true, N, N, N};
  for (size_t i = 0; i < 9; i++) {
    EXPECT_EQ(get_b(land, i), want_and[i]) << i;
    EXPECT_EQ(get_b(lor, i), want_or[i]) << i;
    EXPECT_EQ(get_b(lnot, i), want_not[i]) << i;
    EXPECT_EQ(get_b(isn, i), !want_and[i].has_value()) << i;
    EXPECT_EQ(get_b(isnn, i), i < 6) << i;
  }
}

TEST(Expr, InAndBetweenWithNulls) {
  Table t = random_table(800, 4);
  Column in = evaluate(*in_list(col("k"), {lit_int(1), lit_int(3)}), t);
  Column in_null = evaluate(*in_list(col("k"), {lit_int(1), lit_null()}), t);
  Column not_in_null = evaluate(*in_list(col("k"), {lit_int(1), lit_null()}, true), t);
  Column btw = evaluate(*between(col("x"), lit_int(-10), lit_double(25.5)), t);
  Column nbtw = evaluate(*between(col("x"), lit_int(-10), lit_double(25.5), true), t);
  for (size_t r = 0; r < t.rows(); r++) {
    OptI k = get_i(t.col("k"), r);
    OptB want = k ? OptB(*k == 1 || *k == 3) : std::nullopt;
    ASSERT_EQ(get_b(in, r), want);
    OptB want2 = k ? (*k == 1 ? OptB(true) : std::nullopt) : std::nullopt;
    ASSERT_EQ(get_b(in_null, r), want2);
    ASSERT_EQ(get_b(not_in_null, r), want2 ? OptB(!*want2) : std::nullopt);
    auto x = get_d(t.col("x"), r);
    OptB wb = x ? OptB(*x >= -10 && *x <= 25.5) : std::nullopt;
    ASSERT_EQ(get_b(btw, r), wb);
    ASSERT_EQ(get_b(nbtw, r), wb ? OptB(!*wb) : std::nullopt);
  }
}

TEST(Expr, Like) {
  EXPECT_TRUE(like_match("alpha", "a%"));
  EXPECT_TRUE(like_match("alpha", "%ph%"));
  EXPECT_TRUE(like_match("alpha", "_lph_"));
  EXPECT_FALSE(like_match("alpha", "_lph"));
  EXPECT_TRUE(like_match("", "%"));
  EXPECT_FALSE(like_match("", "_"));
  EXPECT_TRUE(like_match("éta", "_ta"));  // '_' is one UTF-8 character
  EXPECT_TRUE(like_match("aXbXc", "a%b%c"));
  EXPECT_FALSE(like_match("abc", "a%d"));
  EXPECT_TRUE(like_match("ABC", "a%c", true));
  EXPECT_TRUE(like_match("mississippi", "%iss%ppi"));
  Table t = random_table(300, 5);
  Column r = evaluate(*like(col("s"), lit_str("%a")), t);
  Column n = evaluate(*like(col("s"), lit_str("%a"), true), t);
  for (size_t i = 0; i < t.rows(); i++) {
    auto s = get_s(t.col("s"), i);
    OptB want = s ? OptB(!s->empty() && s->back() == 'a') : std::nullopt;
    ASSERT_EQ(get_b(r, i), want);
    ASSERT_EQ(get_b(n, i), want ? OptB(!*want) : std::nullopt);
  }
}

TEST(Expr, CaseWhen) {
  Table t = random_table(500, 6);
  // CASE WHEN i < 0 THEN 'neg' WHEN i > 50 THEN s ELSE NULL END
  auto e = case_when({{binary(BinOp::Lt, col("i"), lit_int(0)), lit_str("neg")},
                      {binary(BinOp::Gt, col("i"), lit_int(50)), col("s")}},
                     lit_null());
  Column r = evaluate(*e, t);
  ASSERT_EQ(r.field.type, Type::String);
  // Numeric branches promote: int and double -> double.
  Column d = evaluate(*case_when({{col("b"), col("i")}}, col("x")), t);
  ASSERT_EQ(d.field.type, Type::Double);
  for (size_t row = 0; row < t.rows(); row++) {
    OptI i = get_i(t.col("i"), row);
    std::optional<std::string> want;
    if (i && *i < 0) want = "neg";
    else if (i && *i > 50) want = get_s(t.col("s"), row);
    ASSERT_EQ(get_s(r, row), want) << row;
    OptB b = get_b(t.col("b"), row);
    auto wd = (b && *b) ? get_d(t.col("i"), row) : get_d(t.col("x"), row);
    ASSERT_EQ(get_d(d, row), wd);
  }
}

TEST(Expr, MathFunctions) {
  Table t = random_table(400, 7);
  const Column& X = t.col("x");
  Column s = evaluate(*call("sqrt", {col("x")}), t);
  Column a2 = evaluate(*call("atan2", {col("x"), col("i")}), t);
  Column rd = evaluate(*call("ROUND", {col("x"), lit_int(1)}), t);
  Column ab = evaluate(*call("abs", {col("i")}), t);
  Column dg = evaluate(*call("degrees", {call("radians", {col("x")})}), t);
  Column pw = evaluate(*call("power", {col("x"), lit_int(2)}), t);
  Column md = evaluate(*call("mod", {col("j"), lit_int(7)}), t);
  EXPECT_EQ(ab.field.type, Type::Int64);
  for (size_t r = 0; r < t.rows(); r++) {
    auto x = get_d(X, r);
    auto i = get_d(t.col("i"), r);
    if (!x) {
      ASSERT_TRUE(s.is_null(r));
    } else if (*x < 0) {
      ASSERT_TRUE(s.is_null(r)) << "sqrt of negative is NULL";
    } else {
      ASSERT_DOUBLE_EQ(*get_d(s, r), std::sqrt(*x));
    }
    if (x && i) ASSERT_DOUBLE_EQ(*get_d(a2, r), std::atan2(*x, *i));
    else ASSERT_TRUE(a2.is_null(r));
    if (x) {
      ASSERT_NEAR(*get_d(rd, r), std::round(*x * 10) / 10, 1e-12);
      ASSERT_NEAR(*get_d(dg, r), *x, 1e-9);
      ASSERT_DOUBLE_EQ(*get_d(pw, r), *x * *x);
    }
    if (i) ASSERT_EQ(get_i(ab, r), std::llabs(int64_t(*i)));
    ASSERT_EQ(get_i(md, r), *get_i(t.col("j"), r) % 7);
  }
  Column pi = evaluate(*call("pi", {}), t);
  EXPECT_DOUBLE_EQ(*get_d(pi, 0), M_PI);
  Column lg = evaluate(*call("log10", {lit_int(1000)}), t);
  EXPECT_DOUBLE_EQ(*get_d(lg, 0), 3.0);
  Column fl = evaluate(*call("floor", {lit_double(-1.5)}), t);
  EXPECT_EQ(*get_d(fl, 0), -2.0);
  Column sg = evaluate(*call("sign", {lit_double(-3.5)}), t);
  EXPECT_EQ(*get_d(sg, 0), -1.0);
}

TEST(Expr, StringFunctions) {
  Table t;
  t.columns.emplace_back(field("s", Type::String));
  t.columns[0].push_string("  Héllo World ");
  t.columns[0].push_null();
  t.columns[0].push_string("abc");
  auto str = [&](ExprPtr e, size_t row) { return get_s(evaluate(*e, t), row); };
  EXPECT_EQ(str(call("upper", {col("s")}), 2), "ABC");
  EXPECT_EQ(str(call("lower", {col("s")}), 0), "  héllo world ");
  EXPECT_EQ(str(call("trim", {col("s")}), 0), "Héllo World");
  EXPECT_EQ(str(call("substring", {col("s"), lit_int(3), lit_int(5)}), 0), "Héllo");
  EXPECT_EQ(str(call("substring", {col("s"), lit_int(2)}), 2), "bc");
  EXPECT_EQ(str(call("substring", {col("s"), lit_int(0), lit_int(2)}), 2), "a");  // SQL: chars [0, 2)
  EXPECT_EQ(str(call("substring", {col("s"), lit_int(10), lit_int(2)}), 2), "");
  EXPECT_EQ(str(binary(BinOp::Concat, col("s"), lit_int(7)), 2), "abc7");
  EXPECT_EQ(str(binary(BinOp::Concat, col("s"), lit_int(7)), 1), std::nullopt);
  EXPECT_EQ(str(call("concat", {lit_str("x"), lit_double(1.5), lit_bool(true)}), 0), "x1.5true");
  EXPECT_EQ(str(call("coalesce", {col("s"), lit_str("none")}), 1), "none");
  Column len = evaluate(*call("length", {col("s")}), t);
  EXPECT_EQ(get_i(len, 0), 14);  // characters, not bytes
  EXPECT_TRUE(len.is_null(1));
}

TEST(Expr, Casts) {
  Table t = random_table(300, 8);
  Column s = evaluate(*cast(col("i"), Type::String), t);
  Column back = evaluate(*cast(cast(col("i"), Type::String), Type::Int16), t);
  Column xd = evaluate(*cast(cast(col("x"), Type::String), Type::Double), t);
  Column xi = evaluate(*cast(col("x"), Type::Int32), t);
  Column bs = evaluate(*cast(col("b"), Type::String), t);
  for (size_t r = 0; r < t.rows(); r++) {
    auto i = get_i(t.col("i"), r);
    ASSERT_EQ(get_s(s, r), i ? std::optional<std::string>(std::to_string(*i)) : std::nullopt);
    ASSERT_EQ(get_i(back, r), i);
    ASSERT_EQ(get_d(xd, r), get_d(t.col("x"), r)) << "shortest round-trip formatting";
    auto x = get_d(t.col("x"), r);
    ASSERT_EQ(get_i(xi, r), x ? OptI(int64_t(std::round(*x))) : std::nullopt);
    auto b = get_i(t.col("b"), r);
    ASSERT_EQ(get_s(bs, r), b ? std::optional<std::string>(*b ? "true" : "false") : std::nullopt);
  }
  Table u;
  u.columns.emplace_back(field("s", Type::String));
  u.columns[0].push_string("12");
  u.columns[0].push_string("x7");
  try {
    evaluate(*cast(col("s"), Type::Int32), u);
    FAIL();
  } catch (const ExprError& e) {
    EXPECT_NE(std::string(e.what()).find("'x7'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(evaluate(*cast(lit_int(300), Type::Int8), u), ExprError);
  EXPECT_EQ(get_i(evaluate(*cast(lit_str(" 42 "), Type::Int64), u), 0), 42);
}

TEST(Expr, TypeInferenceErrorsNameTheProblem) {
  Table t = random_table(5, 9);
  auto schema = schema_of(t);
  auto msg = [&](ExprPtr e) {
    try {
      infer_type(*e, schema);
    } catch (const ExprError& err) {
      return std::string(err.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg(col("ra")).find("no column 'ra'"), std::string::npos);
  EXPECT_NE(msg(col("ra")).find("i, j, x"), std::string::npos) << "lists what exists";
  EXPECT_NE(msg(call("nosuch", {col("x")})).find("unknown function 'nosuch'"), std::string::npos);
  EXPECT_NE(msg(call("sqrt", {col("x"), col("x")})).find("sqrt takes 1"), std::string::npos);
  EXPECT_NE(msg(call("sqrt", {col("s")})).find("argument 1 (s) must be numeric"), std::string::npos);
  EXPECT_NE(msg(binary(BinOp::Add, col("s"), lit_int(1))).find("operator +: left operand (s)"), std::string::npos);
  EXPECT_NE(msg(binary(BinOp::Lt, col("s"), lit_int(1))).find("cannot combine string (s) with int64"),
            std::string::npos);
  EXPECT_NE(msg(and_(col("x"), col("b"))).find("AND: left operand (x) must be boolean"), std::string::npos);
  EXPECT_NE(msg(call("count", {col("x")})).find("aggregate"), std::string::npos);
  EXPECT_EQ(infer_type(*binary(BinOp::Mul, col("i"), col("j")), schema).type, Type::Int64);
  EXPECT_EQ(infer_type(*binary(BinOp::Mul, col("i"), col("x")), schema).name, "(i * x)");
  EXPECT_EQ(infer_type(*col("j"), schema).nullable, false);
  EXPECT_EQ(infer_type(*is_null(col("x")), schema).nullable, false);
  // evaluate() names its result like infer_type().
  EXPECT_EQ(evaluate(*call("sqrt", {col("x")}), t).field.name, "sqrt(x)");
}

TEST(Expr, RegistryListsAndAcceptsNewFunctions) {
  auto& reg = FunctionRegistry::global();
  bool saw_sqrt = false, saw_count = false;
  for (const Function* f : reg.list()) {
    EXPECT_FALSE(f->signature.empty()) << f->name;
    EXPECT_FALSE(f->help.empty()) << f->name;
    saw_sqrt |= f->name == "sqrt";
    saw_count |= f->name == "count" && f->aggregate;
  }
  EXPECT_TRUE(saw_sqrt);
  EXPECT_TRUE(saw_count);
  Function twice;
  twice.name = "test_twice";
  twice.min_args = twice.max_args = 1;
  twice.signature = "test_twice(x DOUBLE) -> DOUBLE";
  twice.help = "2x";
  twice.infer = [](const std::vector<Field>&) { return field("", Type::Double); };
  twice.eval = [](const std::vector<Column>& a, size_t) {
    std::vector<double> v = column_f64(a[0]);
    for (auto& x : v) x *= 2;
    return make_f64(field("", Type::Double), v, a[0].valid);
  };
  reg.add(twice);
  Table t = random_table(50, 10);
  Column r = evaluate(*call("Test_Twice", {col("j")}), t);
  for (size_t i = 0; i < t.rows(); i++) ASSERT_EQ(*get_d(r, i), 2.0 * *get_d(t.col("j"), i));
}

}  // namespace
