// bind_expression: a lone ADQL expression bound to a plain schema, as the Python bindings use
// it for filters and computed columns.
#include <gtest/gtest.h>

#include "adql/lexer.h"
#include "adql/planner.h"
#include "engine/column_ops.h"
#include "engine/expr.h"

using namespace astrolake;

namespace {

parquet::Table sample() {
  parquet::Table t;
  t.columns.push_back(engine::make_f64({"mag", parquet::Type::Double}, {17.0, 19.5, 18.0}));
  t.columns.push_back(engine::make_i64({"n obs", parquet::Type::Int64}, {5, 50, 20}));
  return t;
}

TEST(BindExpression, ConditionsAndValuesEvaluate) {
  parquet::Table t = sample();
  auto cond = adql::bind_expression("mag < 18.5 AND \"n obs\" >= 10", engine::schema_of(t));
  parquet::Column c = engine::evaluate(*cond, t);
  ASSERT_EQ(c.field.type, parquet::Type::Bool);
  EXPECT_EQ(c.data.data()[0], 0);
  EXPECT_EQ(c.data.data()[1], 0);
  EXPECT_EQ(c.data.data()[2], 1);
  auto value = adql::bind_expression("MAG * 2 + 1", engine::schema_of(t));  // case-insensitive names
  EXPECT_DOUBLE_EQ(engine::column_f64(engine::evaluate(*value, t))[1], 40.0);
  // The ADQL layer's functions are available (healpix is registered by the ADQL layer).
  auto pix = adql::bind_expression("healpix(0, 45.0, 0.0)", engine::schema_of(t));
  EXPECT_EQ(engine::column_i64(engine::evaluate(*pix, t))[0], 5);  // healpy.ang2pix(1, 45, 0, nest=True, lonlat=True)
}

TEST(BindExpression, ErrorsNameTheProblem) {
  auto schema = engine::schema_of(sample());
  try {
    adql::bind_expression("magg > 1", schema);
    FAIL() << "no error";
  } catch (const adql::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'magg'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean 'mag'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(adql::bind_expression("mag >", schema), adql::SyntaxError);
  EXPECT_THROW(adql::bind_expression("mag IN (SELECT 1)", schema), std::invalid_argument);
}

}  // namespace
