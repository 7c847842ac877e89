// /tap/examples (DALI examples, XHTML with RDFa): the queries astronomers run here, written
// for the catalogs this service actually has, so every example runs as shown. A light-curve
// example needs a catalog with list columns mjd, mag and magerr (as `generate ztf` makes).
#include <optional>

#include "catalog/catalog.h"
#include "service/tap/metadata.h"
#include "service/vosi/vosi.h"
#include "votable/writer.h"

namespace astrolake::service {

namespace {

using votable::xml_escape;

std::string example(const std::string& id, const std::string& name, const std::string& text,
                    const std::string& query) {
  return "<div typeof=\"example\" id=\"" + id + "\" resource=\"#" + id + "\">\n<h2 property=\"name\">" +
         xml_escape(name) + "</h2>\n<p>" + xml_escape(text) + "</p>\n<pre class=\"dali-example-query\" property=\"query\">" +
         xml_escape(query) + "</pre>\n</div>\n";
}

struct Positional {
  std::string table, ra, dec;
  bool light_curves = false;  // list columns mjd, mag, magerr
};

std::vector<Positional> positional_catalogs(const CatalogRoot& root) {
  std::vector<Positional> out;
  for (const auto& t : root.list()) {
    try {
      catalog::Catalog cat = catalog::Catalog::open(t.dir);
      if (cat.ra_column().empty() || cat.dec_column().empty()) continue;
      Positional p{adql_name(t.name), adql_name(cat.ra_column()), adql_name(cat.dec_column())};
      int lists = 0;
      for (const auto& f : cat.schema())
        if (f.list && (f.name == "mjd" || f.name == "mag" || f.name == "magerr")) lists++;
      p.light_curves = lists == 3;
      out.push_back(p);
    } catch (const std::exception&) {
    }
  }
  return out;
}

}  // namespace

std::string examples_xhtml(const CatalogRoot& root) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head><title>astrolake TAP examples</title></head>\n"
      "<body vocab=\"http://www.ivoa.net/rdf/examples#\">\n<h1>Example queries</h1>\n";
  std::vector<Positional> cats = positional_catalogs(root);
  if (!cats.empty()) {
    const Positional& a = cats[0];
    s += example("cone", "Cone search",
                 "Rows within 0.5 degrees of a position; runs as an indexed search on the HEALPix partitions.",
                 "SELECT * FROM " + a.table + " WHERE 1 = CONTAINS(POINT('ICRS', " + a.ra + ", " + a.dec +
                     "), CIRCLE('ICRS', 0.0, 0.0, 0.5))");
    s += example("skymap", "Sky-map aggregation",
                 "Source counts per HEALPix pixel of order 5 (healpix(order, ra, dec) is the NESTED pixel index).",
                 "SELECT healpix(5, " + a.ra + ", " + a.dec + ") AS pix, COUNT(*) AS n FROM " + a.table +
                     " GROUP BY pix");
    const Positional& b = cats.size() > 1 ? cats[1] : cats[0];
    s += example("xmatch", "Positional cross-match",
                 "Pairs of rows within 1 arcsecond; runs as the engine's cross-match over both catalogs' partitions.",
                 "SELECT TOP 1000 a." + a.ra + ", a." + a.dec + ", b." + b.ra + " AS ra_b, b." + b.dec +
                     " AS dec_b, DISTANCE(POINT('ICRS', a." + a.ra + ", a." + a.dec + "), POINT('ICRS', b." + b.ra + ", b." +
                     b.dec + ")) AS sep FROM " + a.table + " AS a JOIN " + b.table +
                     " AS b ON DISTANCE(POINT('ICRS', a." + a.ra + ", a." + a.dec + "), POINT('ICRS', b." + b.ra +
                     ", b." + b.dec + ")) < 1.0 / 3600");
    s += "<div typeof=\"example\" id=\"upload-xmatch\" resource=\"#upload-xmatch\">\n"
         "<h2 property=\"name\">Cross-match with an uploaded target list</h2>\n<p>" +
         xml_escape("Upload a VOTable of targets with columns id, ra and dec (UPLOAD=t,param:t, a multipart part "
                    "named t; in TOPCAT, pyvo's uploads={'t': table} or STILTS' upload1=). Each target runs one "
                    "indexed cone search of 5 arcseconds.") +
         "</p>\n<pre class=\"dali-example-query\" property=\"query\">" +
         xml_escape("SELECT u.id, c." + a.ra + ", c." + a.dec + ", DISTANCE(POINT('ICRS', u.ra, u.dec), POINT('ICRS', c." +
                    a.ra + ", c." + a.dec + ")) AS sep FROM TAP_UPLOAD.t AS u JOIN " + a.table +
                    " AS c ON 1 = CONTAINS(POINT('ICRS', c." + a.ra + ", c." + a.dec +
                    "), CIRCLE('ICRS', u.ra, u.dec, 5.0 / 3600))") +
         "</pre>\n<span property=\"generic-parameter\" typeof=\"keyval\"><span property=\"key\">UPLOAD</span>"
         "<span property=\"value\">t,param:t</span></span>\n</div>\n";
  }
  for (const auto& c : cats) {
    if (!c.light_curves) continue;
    s += example("lightcurve", "Light-curve features",
                 "Per-object statistics of the light curves stored as list columns.",
                 "SELECT TOP 100 " + c.ra + ", " + c.dec +
                     ", lc_n(mag) AS n, lc_median(mag) AS median_mag, lc_std(mag) AS std_mag, lc_chi2(mag, magerr) AS "
                     "chi2 FROM " + c.table);
    s += example("dips", "Dip search",
                 "Objects whose light curve has a significant dimming event, deepest first.",
                 "SELECT " + c.ra + ", " + c.dec + ", dip_depth(mjd, mag, magerr) AS depth, dip_start(mjd, mag, magerr) "
                     "AS start_mjd FROM " + c.table + " WHERE dip_npoints(mjd, mag, magerr) > 0 ORDER BY depth DESC");
    break;
  }
  return s + "</body>\n</html>\n";
}

}  // namespace astrolake::service
