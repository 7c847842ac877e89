// The DALI/TAP request parameters of /sync and /async (declared in query.h); kept apart from
// query execution so the request-parsing fuzz target (fuzz/tap_request_fuzz.cc) can build them.
#include <algorithm>
#include <cctype>

#include "service/tap/error.h"
#include "service/tap/query.h"

namespace astrolake::service {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string get(const ParamMap& p, const std::string& key) {
  auto it = p.find(key);
  return it == p.end() ? "" : it->second;
}

// RESPONSEFORMAT values: short names, MIME types (parameters such as ";header=present" and
// spaces ignored, except VOTable's serialization).
void parse_format(const std::string& given, TapParams& t) {
  std::string f;
  for (char c : lower(given))
    if (c != ' ') f += c;
  std::string base = f.substr(0, f.find(';'));
  using votable::Format;
  if (f.empty() || f == "votable" || f == "votable/b2" || f == "application/x-votable+xml" || f == "text/xml" ||
      f == "application/x-votable+xml;serialization=binary2" || f == "application/x-votable+xml;serialization=\"binary2\"")
    t.format = Format::Binary2;
  else if (f == "votable/td" || f == "votabletd" || f == "application/x-votable+xml;serialization=tabledata" ||
           f == "application/x-votable+xml;serialization=\"tabledata\"")
    t.format = Format::TableData;
  else if (f == "votable/b" || f == "application/x-votable+xml;serialization=binary" ||
           f == "application/x-votable+xml;serialization=\"binary\"")
    t.format = Format::Binary;
  else if (f == "csv" || base == "text/csv") t.format = Format::Csv;
  else if (f == "tsv" || base == "text/tab-separated-values") t.format = Format::Tsv;
  else if (f == "json" || base == "application/json") t.format = Format::Json;
  else if (f == "parquet" || base == "application/vnd.apache.parquet" || base == "application/x-parquet") t.parquet = true;
  else
    throw DaliError(400, "unknown RESPONSEFORMAT '" + given +
                             "' (use votable, votable/td, votable/b, votable/b2, csv, tsv, json or parquet)");
}

}  // namespace

TapParams parse_tap_params(const ParamMap& p, const QueryLimits& limits) {
  TapParams t;
  std::string request = get(p, "REQUEST");
  if (!request.empty() && request != "doQuery")
    throw DaliError(400, "unknown REQUEST '" + request + "' (TAP supports REQUEST=doQuery)");
  if (!p.count("LANG")) throw DaliError(400, "missing parameter LANG (use LANG=ADQL)");
  std::string lang = get(p, "LANG");
  if (lang != "ADQL" && lang != "ADQL-2.0" && lang != "ADQL-2.1")
    throw DaliError(400, "unknown LANG '" + lang + "' (this service speaks ADQL, ADQL-2.0 and ADQL-2.1)");
  if (!p.count("QUERY")) throw DaliError(400, "missing parameter QUERY");
  t.query = get(p, "QUERY");
  if (t.query.size() > limits.max_query_bytes)
    throw DaliError(413, "QUERY is " + std::to_string(t.query.size()) + " bytes; the limit is " +
                             std::to_string(limits.max_query_bytes));
  if (t.query.find_first_not_of(" \t\r\n") == std::string::npos) throw DaliError(400, "QUERY is empty");
  t.maxrec = limits.default_maxrec;
  if (p.count("MAXREC")) {
    const std::string& m = p.at("MAXREC");
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(m, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != m.size() || m.empty() || v < 0)
      throw DaliError(400, "MAXREC must be a non-negative integer, not '" + m + "'");
    t.maxrec = std::min<int64_t>(v, limits.max_maxrec);
  }
  t.format_name = p.count("RESPONSEFORMAT") ? get(p, "RESPONSEFORMAT") : get(p, "FORMAT");
  parse_format(t.format_name, t);
  if (p.count("UPLOAD")) t.uploads = parse_upload_param(get(p, "UPLOAD"));
  return t;
}

std::string result_mime(const TapParams& t) {
  if (t.parquet) return "application/vnd.apache.parquet";
  std::string m = votable::mime_type(t.format);
  if (t.format == votable::Format::Csv) m += ";header=present";
  return m;
}

}  // namespace astrolake::service
