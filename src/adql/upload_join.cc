#include "adql/upload_join.h"

#include <cmath>

#include "adql/operators.h"
#include "engine/column_ops.h"
#include "engine/spatial_search.h"

namespace astrolake::adql {

engine::OperatorPtr upload_cone_join(const UploadConeSpec& spec, engine::QueryContext* ctx) {
  std::shared_ptr<const parquet::Table> up = spec.upload;
  std::vector<double> ra, dec, rad;
  std::vector<uint8_t> ok(up->rows(), 1);
  if (up->rows() > 0) {
    parquet::Column cra = engine::evaluate(*spec.ra, *up), cdec = engine::evaluate(*spec.dec, *up);
    parquet::Column cr = engine::evaluate(*spec.radius, *up);
    if (!engine::is_numeric(cra.field.type) || !engine::is_numeric(cdec.field.type) || !engine::is_numeric(cr.field.type))
      throw engine::ExprError("the upload's circle centre and radius must be numeric");
    ra = engine::column_f64(cra);
    dec = engine::column_f64(cdec);
    rad = engine::column_f64(cr);
    for (size_t i = 0; i < ok.size(); i++)
      ok[i] = !cra.is_null(i) && !cdec.is_null(i) && !cr.is_null(i) && rad[i] >= 0 && std::isfinite(ra[i]) &&
              std::fabs(dec[i]) <= 90;
  }
  std::vector<parquet::Field> schema = engine::schema_of(*up);
  std::vector<parquet::Field> cat_fields = engine::select_fields(*spec.cat, spec.columns);
  for (size_t i = 0; i < cat_fields.size(); i++) {
    cat_fields[i].name = spec.names[i];
    if (spec.left) cat_fields[i].nullable = true;
    schema.push_back(cat_fields[i]);
  }
  parquet::Table no_match = engine::empty_table(cat_fields);
  engine::SearchOptions so;
  so.columns = spec.columns;
  so.threads = spec.threads;
  so.progress = 0;
  auto job = [spec, ra, dec, rad, ok, so, no_match](const PushSource::Sink& sink) {
    const parquet::Table& up = *spec.upload;
    for (size_t i = 0; i < ok.size(); i++) {
      size_t matched = 0;
      if (ok[i]) {
        engine::Region region = engine::Region::cone(ra[i], dec[i], rad[i]);
        engine::spatial_search(*spec.cat, region, so, [&](parquet::Table&& t) {
          parquet::Table out = engine::take(up, std::vector<int64_t>(t.rows(), int64_t(i)));
          for (size_t c = 0; c < t.columns.size(); c++) {
            t.columns[c].field.name = spec.names[c];
            if (spec.left) t.columns[c].field.nullable = true;
            out.columns.push_back(std::move(t.columns[c]));
          }
          if (spec.match) {
            parquet::Column keep = engine::evaluate(*spec.match, out);
            std::vector<uint8_t> k(out.rows());
            for (size_t r = 0; r < k.size(); r++) k[r] = !keep.is_null(r) && engine::value_at(keep, r).i != 0;
            out = engine::filter(out, k);
          }
          matched += out.rows();
          if (out.rows()) sink(std::move(out));
        });
      }
      sink(parquet::Table{});  // a stop point between targets (cancel, time limit, LIMIT reached)
      if (spec.left && matched == 0) {
        parquet::Table out = engine::take(up, {int64_t(i)});
        for (const parquet::Column& c : no_match.columns) out.columns.push_back(engine::take(c, {engine::kNullRow}));
        sink(std::move(out));
      }
    }
  };
  return std::make_unique<PushSource>(schema, job, ctx);
}

}  // namespace astrolake::adql
