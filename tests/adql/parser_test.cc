#include "adql/parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

using namespace astrolake::adql;

namespace {

// Queries in the style astronomers send to TAP services (Gaia archive, VizieR, SIMBAD,
// ObsCore). Every one must parse and survive a print/parse round trip.
const char* const kQueries[] = {
    // Gaia archive cone search.
    "SELECT TOP 10 source_id, ra, dec FROM gaiadr3.gaia_source "
    "WHERE 1=CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 266.4, -29.0, 0.1))",
    // Join with an external table, ORDER BY a qualified column.
    "SELECT TOP 100 g.source_id, g.ra, g.dec, g.phot_g_mean_mag, d.r_med_geo\n"
    "FROM gaiadr3.gaia_source AS g\n"
    "JOIN external.gaiaedr3_distance AS d ON g.source_id = d.source_id\n"
    "WHERE g.parallax_over_error > 10 AND g.phot_g_mean_mag < 12\n"
    "ORDER BY g.phot_g_mean_mag",
    // Positional cross-match, ADQL 2.0 style with 'ICRS' everywhere.
    "SELECT a.source_id, b.objid, DISTANCE(POINT('ICRS', a.ra, a.dec), POINT('ICRS', b.ra, b.dec)) * 3600 AS sep_arcsec "
    "FROM gaiadr3.gaia_source AS a, sdss.photoobj AS b "
    "WHERE 1 = CONTAINS(POINT('ICRS', a.ra, a.dec), CIRCLE('ICRS', b.ra, b.dec, 1/3600.)) AND a.phot_g_mean_mag < 18",
    // Cross-match by distance, ADQL 2.1 style without coordinate systems.
    "SELECT a.id, b.id FROM cat1 AS a JOIN cat2 AS b ON DISTANCE(POINT(a.ra,a.dec),POINT(b.ra,b.dec)) < 1/3600.",
    // Four-argument DISTANCE.
    "SELECT source_id FROM gaiadr3.gaia_source WHERE DISTANCE(ra, dec, 266.4, -29.0) < 0.1",
    // Colour-magnitude diagram bins.
    "SELECT FLOOR(bp_rp * 10) / 10 AS color_bin,\n"
    "       FLOOR((phot_g_mean_mag + 5 * LOG10(parallax) - 10) * 5) / 5 AS mg_bin,\n"
    "       COUNT(*) AS n\n"
    "FROM gaiadr3.gaia_source\n"
    "WHERE parallax_over_error > 10 AND bp_rp IS NOT NULL\n"
    "GROUP BY color_bin, mg_bin HAVING COUNT(*) > 5 ORDER BY 1, 2 DESC",
    // ObsCore discovery.
    "SELECT * FROM ivoa.obscore WHERE dataproduct_type = 'image' "
    "AND INTERSECTS(s_region, CIRCLE('ICRS', 83.63, 22.01, 0.05)) = 1 AND em_min < 5e-7",
    // TAP_SCHEMA browsing.
    "SELECT table_name, description FROM tap_schema.tables WHERE schema_name ILIKE 'gaia%' ORDER BY table_name",
    // Polygon and box.
    "SELECT COUNT(*) FROM gaiadr3.gaia_source WHERE CONTAINS(POINT(ra, dec), POLYGON(10, 10, 11, 10, 11, 11, 10, 11)) = 1",
    "SELECT COUNT(*) FROM t WHERE CONTAINS(POINT('ICRS GEOCENTER', ra, dec), BOX('ICRS GEOCENTER', 10, 20, 1, 1)) = 1",
    "SELECT COUNT(*) FROM t WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON(POINT(1, 2), POINT(3, 2), POINT(2, 4)))",
    "SELECT AREA(CIRCLE(0, 0, 1)), COORD1(POINT(ra, dec)), COORD2(p), COORDSYS(p), CENTROID(s_region) FROM t",
    // Subqueries.
    "SELECT source_id FROM gaiadr3.gaia_source WHERE source_id IN "
    "(SELECT source_id FROM gaiadr3.vari_summary WHERE num_selected_g_fov > 20)",
    "SELECT s.main_id FROM basic AS s WHERE EXISTS (SELECT 1 FROM ident AS i WHERE i.oidref = s.oid AND i.id LIKE 'HD %')",
    "SELECT t.bin, COUNT(*) AS n FROM (SELECT FLOOR(phot_g_mean_mag) AS bin FROM gaiadr3.gaia_source "
    "WHERE random_index < 1000000) AS t GROUP BY t.bin ORDER BY t.bin",
    "SELECT ra FROM t WHERE phot_g_mean_mag < (SELECT AVG(phot_g_mean_mag) FROM t) AND NOT EXISTS (SELECT * FROM u)",
    "SELECT source_id FROM t WHERE source_id NOT IN (1, 2, 3) AND flag IN ('A', 'B')",
    // WITH, set operations.
    "WITH bright AS (SELECT source_id, ra, dec FROM gaiadr3.gaia_source WHERE phot_g_mean_mag < 6) "
    "SELECT COUNT(*) FROM bright",
    "WITH a AS (SELECT x FROM t), b AS (SELECT x FROM u) SELECT x FROM a UNION ALL SELECT x FROM b ORDER BY x OFFSET 5",
    "SELECT id FROM a UNION SELECT id FROM b INTERSECT SELECT id FROM c EXCEPT ALL SELECT id FROM d",
    "(SELECT id FROM a UNION SELECT id FROM b) INTERSECT (SELECT TOP 3 id FROM c ORDER BY id DESC)",
    // CASE, CAST, COALESCE, string functions, concatenation.
    "SELECT source_id, CASE WHEN parallax > 0 THEN 1000 / parallax ELSE NULL END AS dist_pc FROM gaiadr3.gaia_source",
    "SELECT CASE phot_variable_flag WHEN 'VARIABLE' THEN 1 WHEN 'CONSTANT' THEN 0 END FROM gaiadr3.gaia_source",
    "SELECT CAST(source_id AS VARCHAR(20)) || '_' || UPPER(designation) AS tag, COALESCE(radial_velocity, 0), "
    "CAST(ra AS DOUBLE PRECISION), CAST(1 AS INTEGER), LOWER(name) FROM gaiadr3.gaia_source",
    // Quoted identifiers, VizieR-style table names, and file paths.
    "SELECT \"Vmag\", t.\"B-V\" FROM \"J/A+A/550/A1/table1\" AS t WHERE \"Vmag\" < 10",
    "SELECT COUNT(*) FROM \"/data/hats/gaia_dr3\"",
    "SELECT \"my \"\"odd\"\" col\" FROM \"Schema\".\"Table\"",
    // Bitwise (ADQL 2.1 optional) and hex.
    "SELECT source_id FROM t WHERE (phot_proc_mode & 4) = 4 OR (~flags | 0x10) ^ 3 > 0",
    // Joins of every kind.
    "SELECT * FROM a LEFT OUTER JOIN b USING (id) RIGHT JOIN c ON b.k = c.k FULL JOIN d ON d.k = c.k",
    "SELECT * FROM a NATURAL JOIN b CROSS JOIN c INNER JOIN (d JOIN e ON d.x = e.x) ON c.y = d.y",
    "SELECT a.*, b.x FROM a NATURAL LEFT JOIN b",
    "SELECT ra1, dec, mass FROM (SELECT * FROM spatial) AS q LEFT OUTER JOIN spatial2 USING (ra1, dist) "
    "JOIN misc ON (dist = mass)",
    // TOP/DISTINCT/OFFSET and aggregates.
    "SELECT TOP 10 source_id FROM gaiadr3.gaia_source ORDER BY source_id ASC OFFSET 100",
    "SELECT DISTINCT TOP 5 phot_variable_flag FROM gaiadr3.gaia_source",
    "SELECT COUNT(DISTINCT healpix), MIN(ra), MAX(ra), SUM(1), AVG(dec) FROM t",
    // Comments and a trailing semicolon.
    "-- bright stars near the Galactic centre\n"
    "SELECT TOP 5 /* ids only */ source_id\n"
    "FROM gaiadr3.gaia_source -- the main table\n"
    "WHERE phot_g_mean_mag BETWEEN 5 AND 6 AND dec NOT BETWEEN -1 AND 1;",
    // Math functions and IN_UNIT.
    "SELECT ABS(pmra), CEILING(x), DEGREES(ACOS(SIN(RADIANS(dec)))), EXP(1), POWER(2, 10), SQRT(2), PI(), "
    "RAND(42), ROUND(ra, 3), TRUNCATE(dec, -1), MOD(7, 3), ATAN2(1, 2), LOG(10), IN_UNIT(parallax, 'arcsec') FROM t",
    "EXPLAIN SELECT ra FROM t WHERE dec > -30",
    "SELECT 1 - -1, - -ra, -(ra), 2 - 3 - 4, 2 - (3 - 4), 'it''s', TRUE, FALSE FROM t",
};

std::string error_of(const std::string& q) {
  try {
    parse(q);
  } catch (const SyntaxError& e) {
    return e.what();
  }
  return "no error";
}

std::string expr_dump(const std::string& text) { return dump(*parse_expression(text)); }

TEST(Parser, GaiaConeSearchShape) {
  Statement s = parse(kQueries[0]);
  EXPECT_FALSE(s.explain);
  const Query& q = *s.query;
  EXPECT_EQ(q.kind, QueryKind::Select);
  ASSERT_TRUE(q.top.has_value());
  EXPECT_EQ(*q.top, 10);
  ASSERT_EQ(q.items.size(), 3u);
  EXPECT_EQ(q.items[0].expr->kind, ExprKind::Column);
  EXPECT_EQ(q.items[0].expr->column_name().name, "source_id");
  EXPECT_EQ(q.items[2].expr->column_name().name, "dec");
  ASSERT_EQ(q.from.size(), 1u);
  EXPECT_EQ(q.from[0]->kind, TableRefKind::Table);
  ASSERT_EQ(q.from[0]->names.size(), 2u);
  EXPECT_EQ(q.from[0]->names[0].name, "gaiadr3");
  EXPECT_EQ(q.from[0]->names[1].name, "gaia_source");
  // The coordinate systems are gone; the arguments are coordinates only.
  EXPECT_EQ(dump(*q.where),
            "(= (int 1) (fn CONTAINS (fn POINT (col ra) (col dec)) "
            "(fn CIRCLE (float 266.39999999999998) (float -29) (float 0.10000000000000001))))");
  EXPECT_EQ(q.where->line, 1);
  EXPECT_EQ(q.where->column, 65);
  EXPECT_EQ(q.to_string(),
            "SELECT TOP 10 source_id, ra, dec FROM gaiadr3.gaia_source "
            "WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(266.4, -29.0, 0.1))");
}

TEST(Parser, CrossMatchShape) {
  Statement s = parse(kQueries[3]);
  const Query& q = *s.query;
  ASSERT_EQ(q.from.size(), 1u);
  const TableRef& j = *q.from[0];
  EXPECT_EQ(j.kind, TableRefKind::Join);
  EXPECT_EQ(j.join_type, JoinType::Inner);
  EXPECT_EQ(j.left->alias.name, "a");
  EXPECT_EQ(j.right->names[0].name, "cat2");
  EXPECT_EQ(dump(*j.on),
            "(< (fn DISTANCE (fn POINT (col a.ra) (col a.dec)) (fn POINT (col b.ra) (col b.dec))) "
            "(/ (int 1) (float 3600)))");
}

TEST(Parser, GroupByHavingOrderBy) {
  Statement s = parse(kQueries[5]);
  const Query& q = *s.query;
  ASSERT_EQ(q.items.size(), 3u);
  EXPECT_EQ(q.items[0].alias.name, "color_bin");
  EXPECT_EQ(q.items[2].alias.name, "n");
  EXPECT_EQ(dump(*q.items[2].expr), "(fn COUNT *)");
  ASSERT_EQ(q.group_by.size(), 2u);
  EXPECT_EQ(dump(*q.group_by[1]), "(col mg_bin)");
  EXPECT_EQ(dump(*q.having), "(> (fn COUNT *) (int 5))");
  ASSERT_EQ(q.order_by.size(), 2u);
  EXPECT_TRUE(q.order_by[0].expr->is_integer_literal());
  EXPECT_FALSE(q.order_by[0].descending);
  EXPECT_TRUE(q.order_by[1].descending);
  EXPECT_EQ(q.where->to_string(), "parallax_over_error > 10 AND bp_rp IS NOT NULL");
}

TEST(Parser, SubqueriesWithAndSetOperations) {
  {
    Statement q_stmt = parse(kQueries[12]);
    const Query& q = *q_stmt.query;
    EXPECT_EQ(q.where->kind, ExprKind::In);
    ASSERT_TRUE(q.where->subquery);
    EXPECT_EQ(q.where->args.size(), 1u);
    EXPECT_EQ(q.where->subquery->from[0]->names[1].name, "vari_summary");
  }
  {
    Statement q_stmt = parse(kQueries[14]);
    const Query& q = *q_stmt.query;
    EXPECT_EQ(q.from[0]->kind, TableRefKind::Subquery);
    EXPECT_EQ(q.from[0]->alias.name, "t");
    EXPECT_EQ(q.from[0]->subquery->items[0].alias.name, "bin");
  }
  {
    Statement q_stmt = parse(kQueries[15]);
    const Query& q = *q_stmt.query;
    EXPECT_EQ(dump(*q.where),
              "(AND (< (col phot_g_mean_mag) (subquery (query (select (items (item (fn AVG (col phot_g_mean_mag)) )) "
              "(from (table t )))))) (not (exists (query (select (items (star )) (from (table u )))))))");
  }
  {
    Statement q_stmt = parse(kQueries[18]);
    const Query& q = *q_stmt.query;
    ASSERT_EQ(q.with.size(), 2u);
    EXPECT_EQ(q.with[1].name.name, "b");
    EXPECT_EQ(q.kind, QueryKind::Union);
    EXPECT_TRUE(q.all);
    EXPECT_EQ(q.order_by.size(), 1u);
    EXPECT_EQ(q.offset.value_or(-1), 5);
  }
  {
    // INTERSECT binds tighter than UNION and EXCEPT, which associate to the left.
    Statement q_stmt = parse(kQueries[19]);
    const Query& q = *q_stmt.query;
    EXPECT_EQ(q.kind, QueryKind::Except);
    EXPECT_TRUE(q.all);
    EXPECT_EQ(q.left->kind, QueryKind::Union);
    EXPECT_EQ(q.left->right->kind, QueryKind::Intersect);
    EXPECT_EQ(q.to_string(),
              "SELECT id FROM a UNION SELECT id FROM b INTERSECT SELECT id FROM c EXCEPT ALL SELECT id FROM d");
  }
  {
    Statement q_stmt = parse(kQueries[20]);
    const Query& q = *q_stmt.query;
    EXPECT_EQ(q.kind, QueryKind::Intersect);
    EXPECT_EQ(q.left->kind, QueryKind::Union);
    EXPECT_EQ(q.right->top.value_or(0), 3);
    EXPECT_EQ(q.right->order_by.size(), 1u);
    EXPECT_EQ(q.to_string(),
              "(SELECT id FROM a UNION SELECT id FROM b) INTERSECT (SELECT TOP 3 id FROM c ORDER BY id DESC)");
  }
}

TEST(Parser, QuotedNamesAndStars) {
  Statement q_stmt = parse(kQueries[24]);
  const Query& q = *q_stmt.query;
  EXPECT_TRUE(q.items[0].expr->names[0].quoted);
  EXPECT_EQ(q.items[0].expr->names[0].name, "Vmag");
  EXPECT_EQ(q.items[1].expr->names[1].name, "B-V");
  EXPECT_EQ(q.from[0]->names[0].name, "J/A+A/550/A1/table1");
  EXPECT_TRUE(q.from[0]->names[0].quoted);
  EXPECT_EQ(parse(kQueries[25]).query->from[0]->names[0].name, "/data/hats/gaia_dr3");
  Statement odd_stmt = parse(kQueries[26]);
  const Query& odd = *odd_stmt.query;
  EXPECT_EQ(odd.items[0].expr->names[0].name, "my \"odd\" col");
  EXPECT_EQ(odd.to_string(), kQueries[26]);
  Statement stars_stmt = parse(kQueries[30]);
  const Query& stars = *stars_stmt.query;
  EXPECT_TRUE(stars.items[0].star);
  ASSERT_EQ(stars.items[0].qualifier.size(), 1u);
  EXPECT_EQ(stars.items[0].qualifier[0].name, "a");
  EXPECT_TRUE(stars.from[0]->natural);
  EXPECT_EQ(stars.from[0]->join_type, JoinType::Left);

  Identifier plain{"Ra", false}, quoted{"Ra", true};
  EXPECT_TRUE(plain.matches("ra"));
  EXPECT_TRUE(plain.matches("RA"));
  EXPECT_FALSE(quoted.matches("ra"));
  EXPECT_TRUE(quoted.matches("Ra"));
}

TEST(Parser, Joins) {
  Statement q_stmt = parse(kQueries[28]);
  const Query& q = *q_stmt.query;
  // ((a LEFT JOIN b USING (id)) RIGHT JOIN c ON ...) FULL JOIN d ON ...
  const TableRef& full = *q.from[0];
  EXPECT_EQ(full.join_type, JoinType::Full);
  EXPECT_EQ(full.left->join_type, JoinType::Right);
  EXPECT_EQ(full.left->left->join_type, JoinType::Left);
  ASSERT_EQ(full.left->left->using_columns.size(), 1u);
  EXPECT_EQ(full.left->left->using_columns[0].name, "id");
  Statement q2_stmt = parse(kQueries[29]);
  const Query& q2 = *q2_stmt.query;
  const TableRef& inner = *q2.from[0];
  EXPECT_EQ(inner.join_type, JoinType::Inner);
  EXPECT_EQ(inner.right->kind, TableRefKind::Join);  // the parenthesised (d JOIN e ...)
  EXPECT_EQ(inner.left->join_type, JoinType::Cross);
  EXPECT_TRUE(inner.left->left->natural);
  EXPECT_EQ(q2.to_string(),
            "SELECT * FROM a NATURAL INNER JOIN b CROSS JOIN c INNER JOIN (d INNER JOIN e ON d.x = e.x) ON c.y = d.y");
  // A parenthesised join that starts with a subquery.
  EXPECT_EQ(parse("SELECT * FROM ((SELECT 1 AS k FROM t) AS s JOIN u ON s.k = u.k)").query->from[0]->kind,
            TableRefKind::Join);
}

TEST(Parser, ValidatorStyleCorners) {
  // Cases from the IVOA validator's notion of valid ADQL 2.1.
  Statement u = parse("SELECT * FROM a FULL OUTER JOIN b USING (x, y)");
  ASSERT_EQ(u.query->from[0]->using_columns.size(), 2u);
  EXPECT_EQ(u.to_string(), "SELECT * FROM a FULL OUTER JOIN b USING (x, y)");
  EXPECT_EQ(error_of("SELECT * FROM t1 INNER JOIN t2"),
            "line 1, column 31: expected ON or USING after the joined table (or write CROSS JOIN) but found end of query");
  EXPECT_EQ(error_of("SELECT a FROM t JOIN u WHERE a > 1"),
            "line 1, column 24: expected ON or USING after the joined table (or write CROSS JOIN) but found 'WHERE'");
  // String literals split over lines join up; on one line they do not.
  Statement s = parse("SELECT * FROM bar WHERE a = 'qua' -- cmt\n'tsch'");
  EXPECT_EQ(dump(*s.query->where), "(= (col a) (str 'quatsch'))");
  EXPECT_EQ(error_of("SELECT * FROM bar WHERE a = 'qua' 'tsch'"),
            "line 1, column 35: expected end of query but found string 'tsch'");
  EXPECT_EQ(dump(*parse("SELECT * FROM bar ORDER BY foo ASC, 2desc").query->order_by[1].expr), "(int 2)");
  EXPECT_EQ(parse("SELECT 89x FROM z").query->items[0].alias.name, "x");
  // NULL, FK5 and J2000 in the coordinate-system place are stripped like 'ICRS'.
  EXPECT_EQ(expr_dump("POINT(NULL, ra, 2)"), "(fn POINT (col ra) (int 2))");
  EXPECT_EQ(expr_dump("CIRCLE('fk5', 2, 3, 3)"), "(fn CIRCLE (int 2) (int 3) (int 3))");
  EXPECT_EQ(expr_dump("POLYGON('J2000', 1, 2, 3, 4, 5, 6)"), "(fn POLYGON (int 1) (int 2) (int 3) (int 4) (int 5) (int 6))");
  EXPECT_EQ(error_of("SELECT CENTROID(CIRCLE('fk4', 2, 3, 3)) FROM t"),
            "line 1, column 24: coordinate system 'fk4' is not supported: positions are ICRS; write 'ICRS' or ''");
  EXPECT_EQ(error_of("SELECT COALESCE() FROM stars"), "line 1, column 8: COALESCE takes at least 1 argument, got 0 arguments");
}

TEST(Parser, TopDistinctOffsetExplain) {
  Statement q_stmt = parse(kQueries[32]);
  const Query& q = *q_stmt.query;
  EXPECT_EQ(q.top.value_or(0), 10);
  EXPECT_EQ(q.offset.value_or(0), 100);
  Statement d_stmt = parse(kQueries[33]);
  const Query& d = *d_stmt.query;
  EXPECT_TRUE(d.distinct);
  EXPECT_EQ(d.top.value_or(0), 5);
  // TOP before DISTINCT is accepted too.
  EXPECT_EQ(dump(parse("SELECT TOP 5 DISTINCT a FROM t")), dump(parse("SELECT DISTINCT TOP 5 a FROM t")));
  EXPECT_TRUE(parse(kQueries[37]).explain);
  EXPECT_EQ(parse(kQueries[37]).to_string(), "EXPLAIN SELECT ra FROM t WHERE dec > -30");
  EXPECT_EQ(dump(*parse(kQueries[34]).query->items[0].expr), "(fn COUNT distinct (col healpix))");
}

TEST(Parser, Precedence) {
  EXPECT_EQ(expr_dump("1 + 2 * 3"), "(+ (int 1) (* (int 2) (int 3)))");
  EXPECT_EQ(expr_dump("(1 + 2) * 3"), "(* (+ (int 1) (int 2)) (int 3))");
  EXPECT_EQ(expr_dump("1 - 2 - 3"), "(- (- (int 1) (int 2)) (int 3))");
  EXPECT_EQ(expr_dump("8 / 4 / 2"), "(/ (/ (int 8) (int 4)) (int 2))");
  EXPECT_EQ(expr_dump("7 % 3 * 2"), "(* (% (int 7) (int 3)) (int 2))");
  EXPECT_EQ(expr_dump("a OR b AND c"), "(OR (col a) (AND (col b) (col c)))");
  EXPECT_EQ(expr_dump("a AND b OR c"), "(OR (AND (col a) (col b)) (col c))");
  EXPECT_EQ(expr_dump("NOT a = 1 AND b"), "(AND (not (= (col a) (int 1))) (col b))");
  EXPECT_EQ(expr_dump("NOT NOT a"), "(not (not (col a)))");
  EXPECT_EQ(expr_dump("-2 * 3"), "(* (int -2) (int 3))");
  EXPECT_EQ(expr_dump("-x * 3"), "(* (neg (col x)) (int 3))");
  EXPECT_EQ(expr_dump("- -5"), "(neg (int -5))");
  EXPECT_EQ(expr_dump("-(5)"), "(neg (int 5))");
  EXPECT_EQ(expr_dump("+x"), "(col x)");
  EXPECT_EQ(expr_dump("2 ^ 3 * 4"), "(^ (int 2) (* (int 3) (int 4)))");
  EXPECT_EQ(expr_dump("a | b ^ c & d"), "(| (col a) (^ (col b) (& (col c) (col d))))");
  EXPECT_EQ(expr_dump("x & 4 = 4"), "(= (& (col x) (int 4)) (int 4))");
  EXPECT_EQ(expr_dump("~flags & 1"), "(& (bitnot (col flags)) (int 1))");
  EXPECT_EQ(expr_dump("'a' || 'b' = 'ab'"), "(= (|| (str 'a') (str 'b')) (str 'ab'))");
  EXPECT_EQ(expr_dump("a + b || c"), "(|| (+ (col a) (col b)) (col c))");
  EXPECT_EQ(expr_dump("x BETWEEN 1 AND 2 AND y"), "(AND (between (col x) (int 1) (int 2)) (col y))");
  EXPECT_EQ(expr_dump("x NOT BETWEEN a + 1 AND b * 2"),
            "(notbetween (col x) (+ (col a) (int 1)) (* (col b) (int 2)))");
  EXPECT_EQ(expr_dump("x NOT IN (1, 2)"), "(notin (col x) (int 1) (int 2))");
  EXPECT_EQ(expr_dump("NOT x IN (1)"), "(not (in (col x) (int 1)))");
  EXPECT_EQ(expr_dump("name NOT ILIKE 'm%'"), "(notilike (col name) (str 'm%'))");
  EXPECT_EQ(expr_dump("name LIKE 'a' || '%'"), "(like (col name) (|| (str 'a') (str '%')))");
  EXPECT_EQ(expr_dump("x IS NOT NULL OR y IS NULL"), "(OR (isnotnull (col x)) (isnull (col y)))");
  EXPECT_EQ(expr_dump("a + 1 IS NULL"), "(isnull (+ (col a) (int 1)))");
  EXPECT_EQ(expr_dump("1/3600."), "(/ (int 1) (float 3600))");
  EXPECT_EQ(expr_dump("a != b"), "(<> (col a) (col b))");
  EXPECT_EQ(expr_dump("a <= b"), "(<= (col a) (col b))");
  EXPECT_EQ(expr_dump("(a = b) = (c < d)"), "(= (= (col a) (col b)) (< (col c) (col d)))");
}

TEST(Parser, Literals) {
  EXPECT_EQ(expr_dump("0xFF"), "(int 255)");
  EXPECT_EQ(expr_dump("0xFFFFFFFFFFFFFFFF"), "(int -1)");
  EXPECT_EQ(expr_dump("-9223372036854775808"), "(int -9223372036854775808)");
  EXPECT_EQ(expr_dump("9223372036854775807"), "(int 9223372036854775807)");
  EXPECT_EQ(expr_dump("9223372036854775808"), "(float 9.2233720368547758e+18)");
  EXPECT_EQ(expr_dump(".5e1"), "(float 5)");
  EXPECT_EQ(expr_dump("-0.25"), "(float -0.25)");
  EXPECT_EQ(expr_dump("'it''s'"), "(str 'it''s')");
  EXPECT_EQ(expr_dump("TRUE AND NOT FALSE"), "(AND (bool true) (not (bool false)))");
  EXPECT_EQ(expr_dump("x = NULL"), "(= (col x) (null))");
  EXPECT_EQ(expr_dump("\"B-V\" > 0.5"), "(> (col \"B-V\") (float 0.5))");
  EXPECT_EQ(expr_dump("cat.schema.tab.col"), "(col cat.schema.tab.col)");
}

TEST(Parser, CaseCastFunctions) {
  EXPECT_EQ(expr_dump("CASE WHEN x > 0 THEN 'p' WHEN x < 0 THEN 'n' ELSE 'z' END"),
            "(case (> (col x) (int 0)) (str 'p') (< (col x) (int 0)) (str 'n') (else (str 'z')))");
  EXPECT_EQ(expr_dump("case x when 1 then 'a' end"), "(case operand (col x) (int 1) (str 'a'))");
  EXPECT_EQ(expr_dump("CAST(x AS DOUBLE PRECISION)"), "(cast DOUBLE PRECISION (col x))");
  EXPECT_EQ(expr_dump("cast(x as double)"), "(cast DOUBLE PRECISION (col x))");
  EXPECT_EQ(expr_dump("cast(x as varchar(10))"), "(cast VARCHAR(10) (col x))");
  EXPECT_EQ(expr_dump("CAST(x AS INT)"), "(cast INTEGER (col x))");
  EXPECT_EQ(expr_dump("count(*)"), "(fn COUNT *)");
  EXPECT_EQ(expr_dump("Count(ALL x)"), "(fn COUNT (col x))");
  EXPECT_EQ(expr_dump("pi()"), "(fn PI)");
  EXPECT_EQ(expr_dump("ivo_healpix_index(10, ra, dec)"), "(fn IVO_HEALPIX_INDEX (int 10) (col ra) (col dec))");
  // Function names double as column names when not called.
  EXPECT_EQ(expr_dump("point + distance"), "(+ (col point) (col distance))");
  EXPECT_EQ(expr_dump("CIRCLE('', 1, 2, 3)"), "(fn CIRCLE (int 1) (int 2) (int 3))");
  EXPECT_EQ(expr_dump("CIRCLE(POINT(1, 2), 3)"), "(fn CIRCLE (fn POINT (int 1) (int 2)) (int 3))");
  EXPECT_EQ(expr_dump("POINT('icrs topocenter', 1, 2)"), "(fn POINT (int 1) (int 2))");
}

// parse(print(parse(q))) == parse(q), and printing is a fixed point.
void expect_round_trip(const std::string& q) {
  Statement a = parse(q);
  std::string printed = a.to_string();
  Statement b;
  try {
    b = parse(printed);
  } catch (const SyntaxError& e) {
    FAIL() << "printed form does not parse: " << e.what() << "\n  original: " << q << "\n  printed: " << printed;
  }
  EXPECT_EQ(dump(a), dump(b)) << "original: " << q << "\nprinted: " << printed;
  EXPECT_EQ(printed, b.to_string());
}

TEST(Parser, RoundTripRealQueries) {
  for (const char* q : kQueries) {
    SCOPED_TRACE(q);
    expect_round_trip(q);
  }
}

TEST(Parser, RoundTripTrickyExpressions) {
  const char* exprs[] = {
      "1 - -1", "- -x", "-(-5)", "- -0", "-(0.0)", "-(-0.0)", "~5", "~-5", "- (x + 1)", "~ ~x", "~-1", "-~x", "2 - (3 - 4)", "2 - 3 - 4", "a / (b * c)",
      "(a OR b) AND c", "NOT (a AND b)", "NOT NOT a", "(a = b) = (c = d)", "a = (b = c)",
      "(x BETWEEN 1 AND 2) = (y IN (1))", "x BETWEEN (a BETWEEN 1 AND 2) AND 3", "(a IS NULL) IS NOT NULL",
      "-9223372036854775808", "-9223372036854775807 - 1", "1e300 * 1e-300", "0.1 + 0.2", "-0.0", "1e22",
      "'a' || ('b' || 'c')", "(a | b) & c", "a | b & c", "(1 + 2) * (3 - 4) % 5",
      "CASE WHEN a THEN (b OR c) END = 1", "CAST(a + 1 AS REAL) * 2", "x IN ((SELECT 1 FROM t))",
      "(SELECT MAX(x) FROM t) + 1", "EXISTS (SELECT 1 FROM t) OR NOT EXISTS (SELECT 1 FROM u)",
      "a LIKE b || c", "(a LIKE b) = TRUE", "x NOT IN (SELECT y FROM u UNION SELECT z FROM v)",
  };
  for (const char* e : exprs) {
    SCOPED_TRACE(e);
    expect_round_trip(std::string("SELECT ") + e + " FROM t");
  }
}

TEST(Parser, ErrorMessages) {
  EXPECT_EQ(error_of("SELECT ra, dec FORM gaia_source"),
            "line 1, column 16: expected FROM but found 'FORM' (did you mean FROM?)");
  EXPECT_EQ(error_of("SELCT ra FROM t"), "line 1, column 1: expected SELECT but found 'SELCT' (did you mean SELECT?)");
  EXPECT_EQ(error_of("SELECT ra\nFROM t\nWHRE dec > 0"),
            "line 3, column 1: expected end of query but found 'WHRE' (did you mean WHERE?)");
  EXPECT_EQ(error_of("SELECT TOP 10 source_id FROM gaia WHERE"),
            "line 1, column 40: expected an expression but found end of query");
  EXPECT_EQ(error_of("SELECT COUNT(*) FROM t GROUP phot"), "line 1, column 30: expected BY but found 'phot'");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE (a > 1"),
            "line 1, column 29: expected ')' but found end of query (unbalanced parentheses?)");
  EXPECT_EQ(error_of("SELECT a FROM t LIMIT 10"),
            "line 1, column 17: expected end of query but found 'LIMIT' (ADQL has no LIMIT; write SELECT TOP n ...)");
  EXPECT_EQ(error_of("SELECT FROM t"), "line 1, column 8: expected an expression but found 'FROM'");
  EXPECT_EQ(error_of("SELECT a FROM (SELECT a FROM t)"),
            "line 1, column 32: expected an alias for the subquery in FROM, e.g. (SELECT ...) AS sub but found end of query");
  EXPECT_EQ(error_of("SELECT TOP -1 a FROM t"), "line 1, column 12: expected an unsigned integer after TOP but found '-'");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE a IS 5"), "line 1, column 28: expected NULL or NOT NULL but found '5'");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE a BETWEEN 1 OR 2"), "line 1, column 35: expected AND but found 'OR'");
  EXPECT_EQ(error_of("SELECT a b c FROM t"), "line 1, column 12: expected FROM but found 'c'");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE a = 'abc"),
            "line 1, column 27: unterminated string literal (a quote inside a string is written '')");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE a = = 1"), "line 1, column 27: expected an expression but found '='");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE a = 1 = 2"), "line 1, column 29: expected end of query but found '='");
  EXPECT_EQ(error_of("SELECT a FROM t ORDER a"), "line 1, column 23: expected BY but found 'a'");
  EXPECT_EQ(error_of("SELECT a FROM t t2 t3"), "line 1, column 20: expected end of query but found 't3'");
  EXPECT_EQ(error_of(""), "line 1, column 1: expected SELECT but found end of query");
  EXPECT_EQ(error_of("SELECT a FROM t;;"), "line 1, column 17: expected end of query but found ';'");
  EXPECT_EQ(error_of("SELECT CASE WHEN a THEN 1 FROM t"),
            "line 1, column 27: expected WHEN, ELSE or END but found 'FROM'");
  EXPECT_EQ(error_of("SELECT CAST(a AS STRING) FROM t"),
            "line 1, column 18: expected a type (SMALLINT, INTEGER, BIGINT, REAL, DOUBLE PRECISION, CHAR(n), "
            "VARCHAR(n), TIMESTAMP, BOOLEAN, POINT, CIRCLE, POLYGON) but found 'STRING'");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE a IN 1, 2"), "line 1, column 28: expected '(' after IN but found '1'");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE a NOT NULL"), "line 1, column 25: expected end of query but found 'NOT'");
  EXPECT_EQ(error_of("SELECT a.*.b FROM t"), "line 1, column 11: expected FROM but found '.'");
  EXPECT_EQ(error_of("SELECT TOP 99999999999999999999 a FROM t"),
            "line 1, column 12: TOP value 99999999999999999999 is too large");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE x BETWEN 1 AND 2"),
            "line 1, column 25: expected end of query but found 'BETWEN' (did you mean BETWEEN?)");
  EXPECT_EQ(error_of("SELECT a FROM w.x.y.z"), "line 1, column 15: table name has more than three parts (catalog.schema.table)");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE SUM(*) > 1"), "line 1, column 27: only COUNT accepts * as its argument");
  EXPECT_EQ(error_of("SELECT SQRT(DISTINCT x) FROM t"),
            "line 1, column 8: DISTINCT is only allowed in aggregate functions, not in SQRT");
  EXPECT_EQ(error_of("SELECT (SELECT a FROM t ORDER BY a) ORDER BY b FROM t"),
            "line 1, column 37: expected FROM but found 'ORDER'");
  EXPECT_EQ(error_of("(SELECT a FROM t ORDER BY a) ORDER BY b"),
            "line 1, column 30: expected end of query (this query already has ORDER BY/OFFSET inside its parentheses) "
            "but found 'ORDER'");
}

TEST(Parser, GeometryErrors) {
  EXPECT_EQ(error_of("SELECT POINT('GALACTIC', l, b) FROM t"),
            "line 1, column 14: coordinate system 'GALACTIC' is not supported: positions are ICRS; write 'ICRS' or ''");
  EXPECT_EQ(error_of("SELECT a FROM t WHERE DISTANCE(1, 2, 3) < 1"),
            "line 1, column 23: DISTANCE takes 2 points or 4 coordinates (ra1, dec1, ra2, dec2), got 3 arguments");
  EXPECT_EQ(error_of("SELECT POINT(1) FROM t"),
            "line 1, column 8: POINT takes 2 arguments (ra, dec) after an optional coordinate system, got 1 argument");
  EXPECT_EQ(error_of("SELECT CIRCLE('ICRS', 1, 2, 3, 4) FROM t"),
            "line 1, column 8: CIRCLE takes 3 arguments (ra, dec, radius) or 2 (point, radius), got 4 arguments");
  EXPECT_EQ(error_of("SELECT POLYGON(1, 2, 3, 4, 5) FROM t"),
            "line 1, column 8: POLYGON takes an even number of coordinates (ra1, dec1, ra2, dec2, ...), got 5 arguments");
  EXPECT_EQ(error_of("SELECT POLYGON(1, 2, 3, 4) FROM t"),
            "line 1, column 8: POLYGON takes at least 3 vertices (6 coordinates), got 4 arguments");
  EXPECT_EQ(error_of("SELECT CONTAINS(POINT(1, 2)) FROM t"),
            "line 1, column 8: CONTAINS takes 2 arguments, got 1 argument");
  EXPECT_EQ(error_of("SELECT POINT(\"ICRS\", ra, dec) FROM t"),
            "line 1, column 14: the coordinate system of POINT is a string in single quotes: 'ICRS'");
  EXPECT_EQ(error_of("SELECT COUNT(a, b) FROM t"), "line 1, column 8: COUNT takes 1 argument, got 2 arguments");
}

TEST(Parser, NestingLimits) {
  auto nested = [](int n) {
    return "SELECT " + std::string(n, '(') + "ra" + std::string(n, ')') + " FROM t";
  };
  EXPECT_EQ(dump(*parse(nested(150)).query->items[0].expr), "(col ra)");
  EXPECT_NE(error_of(nested(100000)).find("query is nested too deeply (more than 200 levels)"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 50000; i++) nots += "NOT ";
  EXPECT_NE(error_of("SELECT a FROM t WHERE " + nots + "a").find("nested too deeply"), std::string::npos);
  std::string signs;
  for (int i = 0; i < 50000; i++) signs += "- ";
  EXPECT_NE(error_of("SELECT " + signs + "a FROM t").find("nested too deeply"), std::string::npos);
  std::string subqueries = "SELECT a FROM t";
  for (int i = 0; i < 1000; i++) subqueries = "SELECT a FROM (" + subqueries + ") AS s";
  EXPECT_NE(error_of(subqueries).find("nested too deeply"), std::string::npos);
  std::string ins = "1";
  for (int i = 0; i < 1000; i++) ins = "a IN (SELECT b FROM t WHERE " + ins + ")";
  EXPECT_NE(error_of("SELECT a FROM t WHERE " + ins).find("nested too deeply"), std::string::npos);

  // Long flat chains are loops in the parser but make tall trees: capped at kMaxTreeHeight.
  auto chain = [](int n, const char* op) {
    std::string s = "SELECT 1";
    for (int i = 1; i < n; i++) s += std::string(" ") + op + " 1";
    return s + " FROM t";
  };
  EXPECT_NO_THROW(parse(chain(900, "+")));
  EXPECT_NE(error_of(chain(100000, "+")).find("expression is too deep"), std::string::npos);
  EXPECT_NE(error_of(chain(100000, "OR")).find("expression is too deep"), std::string::npos);
  std::string unions = "SELECT a FROM t";
  for (int i = 0; i < 5000; i++) unions += " UNION SELECT a FROM t";
  EXPECT_NE(error_of(unions).find("too deep"), std::string::npos);
  std::string joins = "SELECT a FROM t0";
  for (int i = 0; i < 5000; i++) joins += " JOIN t ON 1 = 1";
  EXPECT_NE(error_of(joins).find("too deep"), std::string::npos);
  // Deep nesting inside parentheses plus long chains inside each level still stays bounded.
  std::string mixed = "1";
  for (int i = 0; i < 150; i++) mixed = "(" + mixed + std::string(" + 1", 0) + " + 1 + 1 + 1 + 1 + 1 + 1 + 1)";
  EXPECT_NE(error_of("SELECT " + mixed + " FROM t").find("too deep"), std::string::npos);

  // Wide is fine: an IN list of 20000 source ids.
  std::string list = "SELECT source_id FROM gaiadr3.gaia_source WHERE source_id IN (";
  for (int i = 0; i < 20000; i++) list += (i ? ", " : "") + std::to_string(4295806720LL + i * 7);
  list += ")";
  Statement s = parse(list);
  EXPECT_EQ(s.query->where->args.size(), 20001u);
  expect_round_trip(list);
}

// Random token soups, truncations and byte mutations of valid queries: the parser either
// accepts (and then round-trips) or throws SyntaxError -- never anything else, never a crash.
TEST(Parser, FuzzNeverCrashes) {
  const char* vocab[] = {
      "SELECT", "FROM", "WHERE", "TOP", "10", "DISTINCT", "*", ",", "(", ")", "(", ")", "ra", "dec", "t", "g.ra",
      "AS", "x", "=", "<", ">=", "<>", "+", "-", "*", "/", "%", "||", "&", "|", "^", "~", "AND", "OR", "NOT",
      "IN", "BETWEEN", "LIKE", "ILIKE", "IS", "NULL", "JOIN", "LEFT", "ON", "USING", "GROUP", "BY", "ORDER",
      "HAVING", "ASC", "DESC", "OFFSET", "UNION", "ALL", "INTERSECT", "EXCEPT", "WITH", "CASE", "WHEN", "THEN",
      "ELSE", "END", "CAST", "INTEGER", "EXISTS", "COUNT", "POINT", "CIRCLE", "CONTAINS", "DISTANCE", "'ICRS'",
      "1", "0.5", "1e3", "0x1F", "\"Q\"", ".", ";", "--c\n", "/*c*/", "'s'", "EXPLAIN", "CROSS", "NATURAL",
  };
  const size_t nv = sizeof(vocab) / sizeof(vocab[0]);
  std::mt19937 rng(12345);
  int accepted = 0, rejected = 0;
  auto check = [&](const std::string& q) {
    try {
      Statement s = parse(q);
      accepted++;
      Statement again = parse(s.to_string());
      ASSERT_EQ(dump(s), dump(again)) << q;
    } catch (const SyntaxError&) {
      rejected++;
    } catch (const std::exception& e) {
      FAIL() << "non-SyntaxError exception " << e.what() << " for: " << q;
    }
  };
  for (int i = 0; i < 20000; i++) {
    std::string q = i % 2 ? "SELECT " : "";
    size_t n = 1 + rng() % 25;
    for (size_t k = 0; k < n; k++) q += std::string(vocab[rng() % nv]) + " ";
    check(q);
  }
  for (const char* full : kQueries) {
    std::string q = full;
    for (size_t len = 0; len <= q.size(); len++) check(q.substr(0, len));
    for (int m = 0; m < 200; m++) {
      std::string mutated = q;
      size_t at = rng() % mutated.size();
      static const char kBytes[] = "()',.*-+\"/ \n;0aZ|\x80\xff";
      mutated[at] = kBytes[rng() % (sizeof(kBytes) - 1)];
      check(mutated);
    }
  }
  std::printf("fuzz: %d accepted, %d rejected with SyntaxError\n", accepted, rejected);
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 1000);
}

TEST(Parser, Timing) {
  // Not an assertion (the machine is shared); prints the figure for the record.
  const int n = 5000;
  auto t0 = std::chrono::steady_clock::now();
  size_t sink = 0;
  for (int i = 0; i < n; i++) sink += parse(kQueries[i % 4]).query->items.size();
  auto t1 = std::chrono::steady_clock::now();
  double us = std::chrono::duration<double, std::micro>(t1 - t0).count() / n;
  std::printf("parse: %.2f us per typical query (%zu items seen)\n", us, sink);
  EXPECT_GT(sink, 0u);
}

}  // namespace
