#include "votable/writer.h"
#include "service/vosi/vosi.h"

namespace astrolake::service {

namespace {

std::string vosi_capability(const std::string& id, const std::string& url) {
  return "<capability standardID=\"ivo://ivoa.net/std/VOSI#" + id +
         "\">\n<interface xsi:type=\"vs:ParamHTTP\" version=\"1.1\">\n<accessURL use=\"full\">" +
         votable::xml_escape(url) + "</accessURL>\n</interface>\n</capability>\n";
}

std::string output_format(const std::string& id, const std::string& mime, const std::string& alias) {
  std::string s = "<outputFormat";
  if (!id.empty()) s += " ivo-id=\"ivo://ivoa.net/std/TAPRegExt#" + id + "\"";
  return s + ">\n<mime>" + votable::xml_escape(mime) + "</mime>\n<alias>" + alias + "</alias>\n</outputFormat>\n";
}

}  // namespace

std::string capabilities_xml(const std::string& base, const QueryLimits& limits) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<vosi:capabilities xmlns:vosi=\"http://www.ivoa.net/xml/VOSICapabilities/v1.0\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xmlns:vs=\"http://www.ivoa.net/xml/VODataService/v1.1\" "
      "xmlns:tr=\"http://www.ivoa.net/xml/TAPRegExt/v1.0\">\n"
      "<capability standardID=\"ivo://ivoa.net/std/TAP\" xsi:type=\"tr:TableAccess\">\n"
      "<interface xsi:type=\"vs:ParamHTTP\" role=\"std\" version=\"1.1\">\n<accessURL use=\"base\">" +
      votable::xml_escape(base) +
      "</accessURL>\n</interface>\n"
      "<language>\n<name>ADQL</name>\n"
      "<version ivo-id=\"ivo://ivoa.net/std/ADQL#v2.0\">2.0</version>\n"
      "<version ivo-id=\"ivo://ivoa.net/std/ADQL#v2.1\">2.1</version>\n"
      "<description>ADQL 2.1 on HATS catalogs</description>\n"
      "<languageFeatures type=\"ivo://ivoa.net/std/TAPRegExt#features-udf\">\n"
      "<feature><form>healpix(order INTEGER, ra DOUBLE PRECISION, dec DOUBLE PRECISION) -&gt; BIGINT</form>"
      "<description>NESTED HEALPix index of (ra, dec) at the order (0..29)</description></feature>\n"
      "</languageFeatures>\n"
      "<languageFeatures type=\"ivo://ivoa.net/std/TAPRegExt#features-adqlgeo\">\n";
  // The light-curve functions (lc_*, dip_*) take list columns; TAPRegExt UDF forms have no
  // array types, so they are not declared here (see docs/service.md).
  for (const char* f : {"POINT", "CIRCLE", "BOX", "POLYGON", "CONTAINS", "DISTANCE"})
    s += std::string("<feature><form>") + f + "</form></feature>\n";
  s += "</languageFeatures>\n"
       "<languageFeatures type=\"ivo://ivoa.net/std/TAPRegExt#features-adql-sets\">\n"
       "<feature><form>UNION</form></feature>\n<feature><form>EXCEPT</form></feature>\n"
       "<feature><form>INTERSECT</form></feature>\n</languageFeatures>\n"
       "<languageFeatures type=\"ivo://ivoa.net/std/TAPRegExt#features-adql-common-table\">\n"
       "<feature><form>WITH</form></feature>\n</languageFeatures>\n"
       "<languageFeatures type=\"ivo://ivoa.net/std/TAPRegExt#features-adql-offset\">\n"
       "<feature><form>OFFSET</form></feature>\n</languageFeatures>\n"
       "</language>\n";
  s += output_format("output-votable-binary2", "application/x-votable+xml", "votable");
  s += output_format("output-votable-td", "application/x-votable+xml;serialization=TABLEDATA", "votable/td");
  s += output_format("output-votable-binary", "application/x-votable+xml;serialization=BINARY", "votable/b");
  s += output_format("", "text/csv;header=present", "csv");
  s += output_format("", "text/tab-separated-values", "tsv");
  s += output_format("", "application/json", "json");
  s += output_format("", "application/vnd.apache.parquet", "parquet");
  // TAP_UPLOAD: multipart parts and http:// URLs (https is not fetched).
  s += "<uploadMethod ivo-id=\"ivo://ivoa.net/std/TAPRegExt#upload-inline\"/>\n"
       "<uploadMethod ivo-id=\"ivo://ivoa.net/std/TAPRegExt#upload-http\"/>\n";
  s += "<executionDuration>\n<default>" + std::to_string(int64_t(limits.time_limit_s)) + "</default>\n<hard>" +
       std::to_string(int64_t(limits.time_limit_s)) + "</hard>\n</executionDuration>\n";
  s += "<outputLimit>\n<default unit=\"row\">" + std::to_string(limits.default_maxrec) +
       "</default>\n<hard unit=\"row\">" + std::to_string(limits.max_maxrec) + "</hard>\n</outputLimit>\n";
  s += "<uploadLimit>\n<hard unit=\"byte\">" + std::to_string(limits.upload.max_bytes) + "</hard>\n</uploadLimit>\n";
  s += "</capability>\n";
  s += vosi_capability("capabilities", base + "/capabilities");
  s += vosi_capability("availability", base + "/availability");
  s += vosi_capability("tables", base + "/tables");
  s += "<capability standardID=\"ivo://ivoa.net/std/DALI#examples\">\n<interface xsi:type=\"vr:WebBrowser\" "
       "xmlns:vr=\"http://www.ivoa.net/xml/VOResource/v1.0\">\n<accessURL use=\"full\">" +
       votable::xml_escape(base + "/examples") + "</accessURL>\n</interface>\n</capability>\n";
  s += "</vosi:capabilities>\n";
  return s;
}

std::string availability_xml(bool available, const std::string& note) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<vosi:availability xmlns:vosi=\"http://www.ivoa.net/xml/VOSIAvailability/v1.0\">\n"
         "<vosi:available>" + std::string(available ? "true" : "false") + "</vosi:available>\n"
         "<vosi:note>" + votable::xml_escape(note) + "</vosi:note>\n</vosi:availability>\n";
}

}  // namespace astrolake::service
