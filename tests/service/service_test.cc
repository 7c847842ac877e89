// The TAP service end to end: the real binary on a free port, real HTTP (cpp-httplib client
// and raw sockets), results checked against the CLI's `query` on the same catalogs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "votable/reader.h"

#include "../cli/cli_harness.h"
#include "service_harness.h"

namespace {

using namespace al_service_test;

std::vector<std::vector<std::string>> csv_rows(std::string text) {
  std::string clean;
  for (char c : text)
    if (c != '\r') clean += c;
  return al_cli_test::parse_csv(clean);
}

int raw_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

void expect_dali_error(const httplib::Result& r, int status, const std::string& fragment) {
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_NE(r->body.find("<INFO name=\"QUERY_STATUS\" value=\"ERROR\">"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find(fragment), std::string::npos) << r->body;
}

TEST(Service, SyncCsvMatchesCliQuery) {
  ServiceProcess svc({"small_sky"});
  const std::string adql = "SELECT id, ra, dec FROM small_sky WHERE dec < -40 ORDER BY id";
  auto c = svc.client();
  auto r = tap_sync(c, {{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql}, {"RESPONSEFORMAT", "csv"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/csv;header=present");
  int status = 0;
  std::string cli = al_cli_test::cli_output({"query", adql, "--root", svc.root(), "--format", "csv", "-q"}, status);
  ASSERT_EQ(status, 0);
  auto tap = csv_rows(r->body), ref = csv_rows(cli);
  ASSERT_GT(ref.size(), 10u);
  ASSERT_EQ(tap.size(), ref.size());
  EXPECT_EQ(tap[0], ref[0]);
  for (size_t i = 1; i < ref.size(); i++)
    for (size_t j = 0; j < ref[i].size(); j++)
      EXPECT_EQ(std::strtod(tap[i][j].c_str(), nullptr), std::strtod(ref[i][j].c_str(), nullptr)) << i << "," << j;
}

TEST(Service, VotableFormatsAndMaxrecOverflow) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  auto r = c.Get("/tap/sync?REQUEST=doQuery&LANG=ADQL&QUERY=SELECT%20id%20FROM%20small_sky&MAXREC=5&RESPONSEFORMAT=votable/td");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Transfer-Encoding"), "chunked");
  size_t rows = 0;
  for (size_t at = 0; (at = r->body.find("<TR>", at)) != std::string::npos; at++) rows++;
  EXPECT_EQ(rows, 5u);
  EXPECT_NE(r->body.find("<INFO name=\"QUERY_STATUS\" value=\"OVERFLOW\"/>"), std::string::npos);
  // Exactly MAXREC rows available: no overflow.
  r = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT TOP 4 id FROM small_sky"}, {"MAXREC", "4"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<BINARY2>"), std::string::npos);  // the default serialization
  EXPECT_EQ(r->body.find("OVERFLOW"), std::string::npos);
  // Multipart form, JSON.
  httplib::MultipartFormDataItems items = {{"LANG", "ADQL", "", ""},
                                           {"QUERY", "SELECT TOP 2 id FROM small_sky ORDER BY id", "", ""},
                                           {"FORMAT", "json", "", ""}};
  r = c.Post("/tap/sync", items);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"data\":[\n[700],\n[701]]"), std::string::npos) << r->body;
}

TEST(Service, BadRequestsGetDaliErrorsAndServiceKeepsServing) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT TOP 3 idd FROM small_sky"}}), 400, "idd");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELEC 1"}}), 400, "line 1");
  expect_dali_error(tap_sync(c, {{"LANG", "SQL"}, {"QUERY", "SELECT 1"}}), 400, "unknown LANG 'SQL'");
  expect_dali_error(tap_sync(c, {{"QUERY", "SELECT 1"}}), 400, "missing parameter LANG");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}}), 400, "missing parameter QUERY");
  expect_dali_error(tap_sync(c, {{"REQUEST", "getCapabilities"}, {"LANG", "ADQL"}, {"QUERY", "SELECT 1"}}), 400,
                    "unknown REQUEST");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT id FROM small_sky"}, {"RESPONSEFORMAT", "xls"}}),
                    400, "unknown RESPONSEFORMAT 'xls'");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT id FROM small_sky"}, {"MAXREC", "-1"}}), 400,
                    "MAXREC");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT id FROM nosuch"}}), 400,
                    "no catalog 'nosuch' under the catalog root");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", std::string(200000, ' ') + "SELECT 1"}}), 413,
                    "QUERY is 200008 bytes");
  expect_dali_error(c.Get("/tap/nothing"), 404, "no resource at /tap/nothing");
  expect_dali_error(c.Get("/tap/tables/nosuch"), 404, "no table 'nosuch'");
  // A broken multipart body (no closing boundary).
  expect_dali_error(c.Post("/tap/sync", "--XYZ\r\nContent-Disposition: form-data; name=\"LANG\"\r\n\r\nADQL\r\n",
                           "multipart/form-data; boundary=XYZ"),
                    400, "malformed multipart/form-data body");
  auto ok = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) AS n FROM small_sky"}, {"FORMAT", "csv"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, "n\r\n131\r\n");
  // Every error is in the access log with its status and message.
  std::string log = svc.log_with("\"status\":413,");
  EXPECT_NE(log.find("\"status\":413,"), std::string::npos) << log;
  log = svc.log_with("\"error\":\"unknown LANG 'SQL'");
  EXPECT_NE(log.find("\"error\":\"unknown LANG 'SQL'"), std::string::npos) << log;
}

TEST(Service, TableNamesStayUnderTheRoot) {
  ServiceProcess svc({"small_sky"});
  // A symlink inside the root that leads out of it, and a catalog outside the root.
  fs::create_directory_symlink(fixture("small_sky_order1_collection"), fs::path(svc.root()) / "escape");
  auto c = svc.client();
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) FROM escape"}}), 400,
                    "resolves outside the catalog root");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) FROM \"" + fixture("small_sky") + "\""}}),
                    400, "only names relative to the catalog root");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) FROM \"..\""}}), 400,
                    "'..' is not allowed");
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) FROM \"small_sky/../../x\""}}), 400,
                    "'..' is not allowed");
  expect_dali_error(
      tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT id FROM small_sky WHERE id IN (SELECT id FROM \"/etc\")"}}),
      400, "only names relative to the catalog root");
  auto r = c.Get("/tap/tables");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.find("<name>escape</name>"), std::string::npos);
  expect_dali_error(c.Get("/tap/tables/escape"), 404, "resolves outside the catalog root");
}

TEST(Service, NewCatalogAppearsWithoutRestartAndVosi) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  auto r = c.Get("/tap/tables");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("<name>small_sky</name>"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("<ucd>pos.eq.ra;meta.main</ucd>"), std::string::npos);
  EXPECT_EQ(r->body.find("small_sky_order1_collection"), std::string::npos);
  fs::copy(fixture("small_sky_order1_collection"), fs::path(svc.root()) / "small_sky_order1_collection",
           fs::copy_options::recursive);
  r = c.Get("/tap/tables");
  EXPECT_NE(r->body.find("<name>small_sky_order1_collection</name>"), std::string::npos);
  auto q = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) AS n FROM small_sky_order1_collection"},
                        {"FORMAT", "csv"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->body, "n\r\n131\r\n");
  r = c.Get("/tap/tables/small_sky");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<vosi:table"), std::string::npos);
  r = c.Get("/tap/capabilities");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("<accessURL use=\"base\">" + svc.base() + "</accessURL>"), std::string::npos) << r->body;
  r = c.Get("/tap/availability");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("<vosi:available>true</vosi:available>"), std::string::npos);
}

TEST(Service, SlowClientDoesNotBlockOthersAndIsDropped) {
  ServiceProcess svc({"small_sky"}, {"--read-timeout", "1"});
  int slow = raw_connect(svc.port());
  const char* partial = "GET /tap/sync?LANG=ADQL HTTP/1.1\r\nHost: x\r\n";  // headers never end
  ASSERT_GT(::send(slow, partial, std::strlen(partial), 0), 0);
  auto c = svc.client();
  auto r = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) AS n FROM small_sky"}, {"FORMAT", "csv"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "n\r\n131\r\n");
  // After the read timeout the server gives up on the slow request: it answers 400.
  timeval tv{5, 0};
  setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[512];
  auto t0 = std::chrono::steady_clock::now();
  ssize_t n = ::recv(slow, buf, sizeof buf, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, size_t(n)).substr(0, 12), "HTTP/1.1 400");
  ::close(slow);
}

TEST(Service, OverloadAnswers503) {
  // One query at a time, none waiting: a query whose client does not read holds the slot.
  ServiceProcess svc({"small_sky"}, {"--max-running", "1", "--max-queued", "0"});
  int hog = raw_connect(svc.port());
  std::string q = "GET /tap/sync?LANG=ADQL&RESPONSEFORMAT=votable/td&MAXREC=100000000&QUERY="
                  "SELECT%20a.id,b.id,c.id%20FROM%20small_sky%20a,small_sky%20b,small_sky%20c HTTP/1.1\r\n"
                  "Host: x\r\n\r\n";
  ASSERT_GT(::send(hog, q.data(), q.size(), 0), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto c = svc.client();
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT COUNT(*) FROM small_sky"}}), 503, "overloaded");
  // Metadata still answers.
  auto r = c.Get("/tap/availability");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ::close(hog);
}

TEST(Service, SigtermStopsCleanly) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  ASSERT_TRUE(c.Get("/tap/availability"));
  EXPECT_EQ(svc.stop(), 0);
  EXPECT_NE(svc.log().find("{\"event\":\"stopped\"}"), std::string::npos) << svc.log();
}

}  // namespace

namespace {

// A TABLEDATA VOTable of targets (id, ra, dec).
std::string targets_votable(const std::vector<std::array<double, 3>>& rows) {
  std::string v =
      "<?xml version=\"1.0\"?>\n<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">"
      "<RESOURCE><TABLE><FIELD name=\"id\" datatype=\"long\"/><FIELD name=\"ra\" datatype=\"double\"/>"
      "<FIELD name=\"dec\" datatype=\"double\"/><DATA><TABLEDATA>\n";
  for (const auto& r : rows) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "<TR><TD>%lld</TD><TD>%.17g</TD><TD>%.17g</TD></TR>\n", (long long)r[0], r[1], r[2]);
    v += buf;
  }
  return v + "</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>\n";
}

const char* kUploadXmatch =
    "SELECT u.id AS target, c.id FROM TAP_UPLOAD.t AS u JOIN small_sky AS c "
    "ON 1 = CONTAINS(POINT('ICRS', c.ra, c.dec), CIRCLE('ICRS', u.ra, u.dec, 3.0)) ORDER BY target, c.id";

// The same cross-match by brute force over the catalog's rows (read with the CLI).
std::vector<std::vector<std::string>> brute_force_xmatch(const std::vector<std::array<double, 3>>& targets) {
  auto rows = csv_rows(al_cli_test::run_cli({"query", "SELECT id, ra, dec FROM small_sky", "--root",
                                             fixture(""), "--format", "csv", "-q"}).out);
  std::vector<std::vector<std::string>> out = {{"target", "id"}};
  std::vector<std::pair<long long, long long>> pairs;
  for (const auto& t : targets)
    for (size_t i = 1; i < rows.size(); i++) {
      double ra = std::stod(rows[i][1]) * M_PI / 180, dec = std::stod(rows[i][2]) * M_PI / 180;
      double tra = t[1] * M_PI / 180, tdec = t[2] * M_PI / 180;
      double c = std::sin(dec) * std::sin(tdec) + std::cos(dec) * std::cos(tdec) * std::cos(ra - tra);
      if (std::acos(std::min(1.0, c)) * 180 / M_PI <= 3.0) pairs.push_back({(long long)t[0], std::stoll(rows[i][0])});
    }
  std::sort(pairs.begin(), pairs.end());
  for (const auto& [a, b] : pairs) out.push_back({std::to_string(a), std::to_string(b)});
  return out;
}

const std::vector<std::array<double, 3>> kTargets = {{1, 300.0, -50.0}, {2, 320.0, -40.0}, {3, 10.0, 80.0}};

}  // namespace

namespace {

std::string xml_unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities)
    for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += std::strlen(to))
      s.replace(at, std::strlen(from), to);
  return s;
}

TEST(Service, EveryExampleRuns) {
  ServiceProcess svc({"small_sky", "small_sky_order1_collection"});
  auto c = svc.client();
  auto r = c.Get("/tap/examples");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string open = "property=\"query\">";
  int examples = 0;
  size_t upload_rows = 0;
  for (size_t at = 0; (at = r->body.find(open, at)) != std::string::npos; at++) {
    size_t begin = at + open.size(), end = r->body.find("</pre>", begin);
    std::string adql = xml_unescape(r->body.substr(begin, end - begin));
    httplib::MultipartFormDataItems items = {{"LANG", "ADQL", "", ""}, {"QUERY", adql, "", ""}, {"FORMAT", "csv", "", ""}};
    if (adql.find("TAP_UPLOAD.t") != std::string::npos) {
      // The example names its upload as a generic parameter: send a target list in that part.
      EXPECT_NE(r->body.find("<span property=\"key\">UPLOAD</span><span property=\"value\">t,param:t</span>", end),
                std::string::npos);
      items.push_back({"UPLOAD", "t,param:t", "", ""});
      // Targets at three catalog positions, so the 5-arcsecond cross-match finds them.
      auto cat = csv_rows(al_cli_test::run_cli({"query", "SELECT TOP 3 id, ra, dec FROM small_sky ORDER BY id",
                                                "--root", svc.root(), "--format", "csv", "-q"}).out);
      std::vector<std::array<double, 3>> targets;
      for (size_t i = 1; i < cat.size(); i++)
        targets.push_back({std::stod(cat[i][0]), std::stod(cat[i][1]), std::stod(cat[i][2])});
      items.push_back({"t", targets_votable(targets), "t.xml", "text/xml"});
      upload_rows = csv_rows(c.Post("/tap/sync", items)->body).size();
    }
    auto q = c.Post("/tap/sync", items);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->status, 200) << adql << "\n" << q->body;
    examples++;
  }
  EXPECT_EQ(upload_rows, 4u);  // a header and each target matching its own row
  EXPECT_EQ(examples, 4);  // cone, sky map, cross-match, upload cross-match (no light-curve catalog here)
}

}  // namespace

namespace {

// Peak resident memory of a process (VmHWM), in bytes.
size_t peak_rss(pid_t pid) {
  std::string status = al_cli_test::slurp("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmHWM:");
  return at == std::string::npos ? 0 : std::stoull(status.substr(at + 6)) * 1024;
}

TEST(Service, LargeResultStreamsWithoutBeingHeld) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  ASSERT_TRUE(c.Get("/tap/availability"));
  size_t before = peak_rss(svc.pid());
  // 131^3 = 2.2M rows, about 60 MB of TABLEDATA: streamed batch by batch.
  size_t bytes = 0, rows = 0;
  std::string tail;  // the last bytes of the previous chunk, so a <TR> split across chunks counts
  auto r = c.Get("/tap/sync?LANG=ADQL&MAXREC=10000000&RESPONSEFORMAT=votable/td&QUERY="
                 "SELECT%20a.id,b.ra,c.dec%20FROM%20small_sky%20a,small_sky%20b,small_sky%20c",
                 [&](const char* data, size_t n) {
                   bytes += n;
                   std::string piece = tail + std::string(data, n);
                   for (size_t at = 0; (at = piece.find("<TR>", at)) != std::string::npos; at += 4) rows++;
                   tail = piece.substr(piece.size() >= 3 ? piece.size() - 3 : 0);
                   return true;
                 });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(rows, 131u * 131 * 131);
  EXPECT_GT(bytes, 50u << 20);
  size_t grown = peak_rss(svc.pid()) - before;
  EXPECT_LT(grown, bytes / 2) << "the service held " << grown << " bytes for a " << bytes << "-byte result";
}

TEST(Service, AsyncAbortStopsARunningJob) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  auto r = c.Post("/tap/async", httplib::Params{{"LANG", "ADQL"}, {"PHASE", "RUN"},
                                                {"QUERY", "SELECT COUNT(*) FROM small_sky a, small_sky b, small_sky c, small_sky d"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 303);
  std::string job = r->get_header_value("Location");
  job = job.substr(job.find("/tap/"));
  std::string phase;
  for (int i = 0; i < 100 && phase != "EXECUTING"; i++) {
    phase = c.Get(job + "/phase")->body;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(phase, "EXECUTING");
  auto a = c.Post(job + "/phase", httplib::Params{{"PHASE", "ABORT"}});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 303);
  auto doc = c.Get(job + "?WAIT=5");
  ASSERT_TRUE(doc);
  EXPECT_NE(doc->body.find("<uws:phase>ABORTED</uws:phase>"), std::string::npos) << doc->body;
  EXPECT_EQ(c.Get(job + "/results/result")->status, 404);
  // Bad phase values are refused.
  expect_dali_error(c.Post(job + "/phase", httplib::Params{{"PHASE", "SUSPEND"}}), 400, "PHASE must be RUN or ABORT");
  expect_dali_error(c.Get("/tap/async/0123456789abcdef"), 404, "no job");
}

}  // namespace

namespace {

TEST(Service, AsyncExecutionDurationIsEnforced) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  auto r = c.Post("/tap/async", httplib::Params{{"LANG", "ADQL"},
                                                {"QUERY", "SELECT COUNT(*) FROM small_sky a, small_sky b, small_sky c, small_sky d"}});
  ASSERT_TRUE(r);
  std::string job = r->get_header_value("Location");
  job = job.substr(job.find("/tap/"));
  EXPECT_EQ(c.Post(job + "/executionduration", httplib::Params{{"EXECUTIONDURATION", "1"}})->status, 303);
  EXPECT_EQ(c.Get(job + "/executionduration")->body, "1");
  EXPECT_EQ(c.Post(job + "/phase", httplib::Params{{"PHASE", "RUN"}})->status, 303);
  std::string doc;
  for (int i = 0; i < 20 && doc.find("<uws:phase>ERROR</uws:phase>") == std::string::npos; i++)
    doc = c.Get(job + "?WAIT=1")->body;
  EXPECT_NE(doc.find("<uws:phase>ERROR</uws:phase>"), std::string::npos) << doc;
  auto err = c.Get(job + "/error");
  ASSERT_TRUE(err);
  EXPECT_NE(err->body.find("time limit"), std::string::npos) << err->body;
}

}  // namespace

namespace {

TEST(Service, ParquetResultMatchesCliAndLeavesNoTemporaryFile) {
  ServiceProcess svc({"small_sky"});
  const std::string adql = "SELECT id, ra, dec FROM small_sky WHERE ra > 300 ORDER BY id";
  auto c = svc.client();
  auto r = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", adql}, {"RESPONSEFORMAT", "parquet"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/vnd.apache.parquet");
  std::string got = svc.state() + "/../got.parquet", want = svc.state() + "/../want.parquet";
  std::ofstream(got, std::ios::binary) << r->body;
  int status = 0;
  al_cli_test::cli_output({"query", adql, "--root", svc.root(), "-o", want, "-q"}, status);
  ASSERT_EQ(status, 0);
  auto a = al_cli_test::canon_parquet(got), b = al_cli_test::canon_parquet(want);
  EXPECT_GT(b.rows(), 5u);
  EXPECT_EQ(a.names, b.names);
  EXPECT_EQ(a.cols, b.cols);
  // The temporary file goes when the response is done (just after the client has it all).
  for (int i = 0; i < 50 && !fs::is_empty(svc.state() + "/tmp"); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(fs::is_empty(svc.state() + "/tmp"));
}

TEST(Service, DestroyedJobsFilesAreRemoved) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  auto r = c.Post("/tap/async", httplib::Params{{"LANG", "ADQL"}, {"PHASE", "RUN"},
                                                {"QUERY", "SELECT TOP 5 id FROM small_sky"}});
  ASSERT_TRUE(r);
  std::string job = r->get_header_value("Location");
  job = job.substr(job.find("/tap/"));
  std::string id = job.substr(job.rfind('/') + 1);
  auto doc = c.Get(job + "?WAIT=5&PHASE=QUEUED");
  for (int i = 0; i < 50 && c.Get(job + "/phase")->body != "COMPLETED"; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(svc.state() + "/jobs/" + id + "/result.dat"));
  // A destruction time in the past: the service destroys the job within a few seconds.
  EXPECT_EQ(c.Post(job + "/destruction", httplib::Params{{"DESTRUCTION", "2000-01-01T00:00:00Z"}})->status, 303);
  for (int i = 0; i < 50 && fs::exists(svc.state() + "/jobs/" + id); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(fs::exists(svc.state() + "/jobs/" + id));
  EXPECT_EQ(c.Get(job)->status, 404);
  expect_dali_error(c.Post(job + "/destruction", httplib::Params{{"DESTRUCTION", "tomorrow"}}), 404, "no job");
}

}  // namespace

TEST(Service, UploadMultipartCrossMatchEqualsBruteForce) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  httplib::MultipartFormDataItems items = {{"LANG", "ADQL", "", ""},
                                           {"QUERY", kUploadXmatch, "", ""},
                                           {"FORMAT", "csv", "", ""},
                                           {"UPLOAD", "t,param:targets", "", ""},
                                           {"targets", targets_votable(kTargets), "targets.xml", "text/xml"}};
  auto r = c.Post("/tap/sync", items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto want = brute_force_xmatch(kTargets);
  EXPECT_GT(want.size(), 2u);  // the targets do find rows
  EXPECT_EQ(csv_rows(r->body), want);
}

TEST(Service, UploadFromUrlAndAsync) {
  ServiceProcess svc({"small_sky"});
  // The target list served over HTTP by a server of the test's own on 127.0.0.1.
  httplib::Server files;
  std::string doc = targets_votable(kTargets);
  files.Get("/targets.xml", [&](const httplib::Request&, httplib::Response& res) { res.set_content(doc, "text/xml"); });
  files.Get("/missing.xml", [&](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  int port = files.bind_to_any_port("127.0.0.1");
  std::thread server([&] { files.listen_after_bind(); });
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto c = svc.client();
  auto r = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", kUploadXmatch}, {"FORMAT", "csv"},
                        {"UPLOAD", "t," + url + "/targets.xml"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(csv_rows(r->body), brute_force_xmatch(kTargets));
  expect_dali_error(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", kUploadXmatch}, {"UPLOAD", "t," + url + "/missing.xml"}}),
                    400, "answered HTTP 404");
  // An async job keeps its uploaded part until it runs.
  httplib::MultipartFormDataItems items = {{"LANG", "ADQL", "", ""},
                                           {"QUERY", kUploadXmatch, "", ""},
                                           {"FORMAT", "csv", "", ""},
                                           {"PHASE", "RUN", "", ""},
                                           {"UPLOAD", "t,param:targets", "", ""},
                                           {"targets", doc, "targets.xml", "text/xml"}};
  auto created = c.Post("/tap/async", items);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 303) << created->body;
  std::string job = created->get_header_value("Location");
  job = job.substr(job.find("/tap/async/"));
  std::string phase;
  for (int i = 0; i < 300 && phase != "COMPLETED" && phase != "ERROR"; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    phase = c.Get(job + "/phase")->body;
  }
  ASSERT_EQ(phase, "COMPLETED") << c.Get(job + "/error")->body;
  auto result = c.Get(job + "/results/result");
  ASSERT_TRUE(result);
  EXPECT_EQ(csv_rows(result->body), brute_force_xmatch(kTargets)) << c.Get(job)->body;
  // The upload may also come with later parameters of a PENDING job.
  auto pending = c.Post("/tap/async", httplib::Params{{"LANG", "ADQL"}, {"QUERY", kUploadXmatch}, {"FORMAT", "csv"}});
  ASSERT_TRUE(pending);
  std::string job2 = pending->get_header_value("Location");
  job2 = job2.substr(job2.find("/tap/async/"));
  httplib::MultipartFormDataItems more = {{"UPLOAD", "t,param:later", "", ""},
                                          {"later", doc, "later.xml", "text/xml"}};
  auto posted = c.Post(job2 + "/parameters", more);
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 303) << posted->body;
  c.Post(job2 + "/phase", httplib::Params{{"PHASE", "RUN"}});
  phase.clear();
  for (int i = 0; i < 300 && phase != "COMPLETED" && phase != "ERROR"; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    phase = c.Get(job2 + "/phase")->body;
  }
  ASSERT_EQ(phase, "COMPLETED") << c.Get(job2 + "/error")->body;
  EXPECT_EQ(csv_rows(c.Get(job2 + "/results/result")->body), brute_force_xmatch(kTargets));
  files.stop();
  server.join();
}

TEST(Service, BadUploadsAreRefused) {
  ServiceProcess svc({"small_sky"}, {"--max-upload", "2000", "--upload-timeout", "1"});
  auto c = svc.client();
  auto post = [&](const std::string& upload, const std::string& part) {
    httplib::MultipartFormDataItems items = {{"LANG", "ADQL", "", ""},
                                             {"QUERY", "SELECT COUNT(*) FROM TAP_UPLOAD.t", "", ""},
                                             {"UPLOAD", upload, "", ""},
                                             {"targets", part, "targets.xml", "text/xml"}};
    return c.Post("/tap/sync", items);
  };
  expect_dali_error(post("t,param:targets", "<VOTABLE><RESOURCE><TABLE><FIELD name=\"x\" datatype=\"nope\"/>"), 400,
                    "upload 't' is not a valid VOTable");
  std::vector<std::array<double, 3>> many;
  for (int i = 0; i < 100; i++) many.push_back({double(i), 1.0 * i, 0.5});
  expect_dali_error(post("t,param:targets", targets_votable(many)), 413, "larger than the upload limit of 2000 bytes");
  // Two documents that fit alone but not together.
  std::vector<std::array<double, 3>> half(many.begin(), many.begin() + 20);
  ASSERT_LT(targets_votable(half).size(), 2000u);
  ASSERT_GT(2 * targets_votable(half).size(), 2000u);
  expect_dali_error(post("t,param:targets;u,param:targets", targets_votable(half)), 413, "upload 'u' makes the uploads");
  // URL uploads: one too large, one that sends too slowly (the test's own server on 127.0.0.1).
  httplib::Server files;
  files.Get("/big.xml", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(targets_votable(many), "text/xml");
  });
  files.Get("/slow.xml", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/xml", [](size_t, httplib::DataSink& sink) {
      for (int i = 0; i < 30 && sink.is_writable(); i++) {
        sink.write("<", 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      sink.done();
      return true;
    });
  });
  int port = files.bind_to_any_port("127.0.0.1");
  std::thread server([&] { files.listen_after_bind(); });
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  expect_dali_error(post("t," + url + "/big.xml", ""), 413, "larger than the upload limit");
  auto t0 = std::chrono::steady_clock::now();
  expect_dali_error(post("t," + url + "/slow.xml", ""), 400, "took longer than 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2500));
  files.stop();
  server.join();
  expect_dali_error(post("t,param:other", targets_votable(kTargets)), 400, "does not have");
  expect_dali_error(post("t", targets_votable(kTargets)), 400, "must be name,URI");
  expect_dali_error(post("1t,param:targets", targets_votable(kTargets)), 400, "UPLOAD table name '1t'");
  expect_dali_error(post("t,file:///etc/passwd", targets_votable(kTargets)), 400, "param:PART or an http(s):// URL");
  // Nothing listens on port 1: the TLS client fails with a clear message, not a hang.
  expect_dali_error(post("t,https://127.0.0.1:1/t.xml", ""), 400, "cannot fetch upload URL 'https://127.0.0.1:1/t.xml'");
  auto ok = post("t,param:targets", targets_votable(kTargets));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST(Service, GeometryColumnsCarryDaliXtypes) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  const std::string q = "SELECT TOP 3 id, POINT(ra, dec) AS p, CIRCLE(ra, dec, 0.5) AS c FROM small_sky ORDER BY id";
  auto td = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", q}, {"FORMAT", "votable/td"}});
  ASSERT_TRUE(td);
  ASSERT_EQ(td->status, 200) << td->body;
  EXPECT_NE(td->body.find("<FIELD name=\"p\" datatype=\"double\" arraysize=\"2\" xtype=\"point\""), std::string::npos)
      << td->body;
  EXPECT_NE(td->body.find("<FIELD name=\"c\" datatype=\"double\" arraysize=\"3\" xtype=\"circle\""), std::string::npos);
  auto csv = csv_rows(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", q}, {"FORMAT", "csv"}})->body);
  auto plain = csv_rows(tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", "SELECT TOP 3 id, ra, dec FROM small_sky ORDER BY id"},
                                     {"FORMAT", "csv"}})->body);
  ASSERT_EQ(csv.size(), 4u);
  for (size_t i = 1; i < 4; i++) {
    std::istringstream p(csv[i][1]);
    double ra, dec;
    p >> ra >> dec;
    EXPECT_DOUBLE_EQ(ra, std::stod(plain[i][1]));
    EXPECT_DOUBLE_EQ(dec, std::stod(plain[i][2]));
  }
  // BINARY2 reads back through the project's VOTable reader with the fixed array sizes.
  auto b2 = tap_sync(c, {{"LANG", "ADQL"}, {"QUERY", q}});
  ASSERT_TRUE(b2);
  auto vt = astrolake::votable::read_votable(b2->body);
  ASSERT_EQ(vt.fields.size(), 3u);
  EXPECT_EQ(vt.fields[1].xtype, "point");
  EXPECT_EQ(vt.fields[2].arraysize, "3");
  EXPECT_EQ(vt.table.rows(), 3u);
}
