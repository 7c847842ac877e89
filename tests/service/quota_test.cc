// The storage quota counts MyDB tables as well as files (GET /storage/usage, `astrolake user
// list`), and names shaped to reach outside a user's area answer 403 naming the problem.
#include <array>
#include <cstdio>

#include "platform_helpers.h"

namespace al_service_test {
namespace {

int64_t tree_bytes(const fs::path& dir) {
  int64_t n = 0;
  if (!fs::exists(dir)) return 0;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && !it->is_symlink()) n += int64_t(it->file_size());
  return n;
}

// The "used" figure of GET /storage/usage.
int64_t usage(const ServiceProcess& svc, const std::string& token) {
  auto r = get(svc, token, "/storage/usage");
  EXPECT_EQ(r->status, 200) << r->body;
  size_t at = r->body.find("\"used\":");
  return at == std::string::npos ? -1 : std::stoll(r->body.substr(at + 7));
}

// The line of `astrolake user list` for `user`.
std::string listed(const ServiceProcess& svc, const std::string& user) {
  std::string cmd = std::string(AL_BINARY) + " user list --state " + svc.state();
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 256> buf{};
  while (p && std::fgets(buf.data(), int(buf.size()), p)) out += buf.data();
  if (p) ::pclose(p);
  size_t at = out.find(user + "\t");
  return at == std::string::npos ? "" : out.substr(at, out.find('\n', at) - at);
}

const std::string kCsv = "name,ra,dec,mag\nx1,282.5,-58.5,11.5\nx2,299.5,-48.5,12.5\nx3,10.0,20.0,13.5\n";

TEST(Platform, MyDbTablesCountAgainstTheQuota) {
  ServiceProcess svc({"small_sky"});
  add_user(svc, "alice", "alice-password", "2MiB");
  std::string a = login(svc, "alice", "alice-password");
  auto c = svc.client();
  fs::path home = fs::path(svc.state()) / "users/alice";
  ASSERT_EQ(put(svc, a, "vos://notes.txt", "some notes")->status, 201);
  EXPECT_EQ(usage(svc, a), 10);
  auto imp = c.Post("/mydb/import?table=first", bearer(a), kCsv, "text/csv");
  ASSERT_EQ(imp->status, 201) << imp->body;
  int64_t table = tree_bytes(home / "mydb/first");
  ASSERT_GT(table, 0);
  EXPECT_EQ(usage(svc, a), 10 + table);
  EXPECT_NE(listed(svc, "alice").find("used=" + std::to_string(10 + table) + "\t"), std::string::npos)
      << listed(svc, "alice");
  auto u = get(svc, a, "/storage/usage");
  EXPECT_NE(u->body.find("\"quota\":2097152"), std::string::npos) << u->body;

  // Fill the quota with a file so that a second table no longer fits: refused, nothing left.
  int64_t filler = (2 << 20) - 10 - table - table / 2;
  ASSERT_EQ(put(svc, a, "vos://filler.bin", std::string(size_t(filler), 'f'))->status, 201);
  auto refused = c.Post("/mydb/import?table=second", bearer(a), kCsv, "text/csv");
  EXPECT_EQ(refused->status, 413);
  EXPECT_NE(refused->body.find("storage quota exceeded"), std::string::npos) << refused->body;
  EXPECT_EQ(get(svc, a, "/mydb/describe?table=second")->status, 404);
  for (const auto& e : fs::directory_iterator(home / "mydb")) EXPECT_EQ(e.path().filename(), "first");
  EXPECT_EQ(usage(svc, a), 10 + table + filler);
  // A query result saved as a table is held to the same quota.
  auto out = c.Post("/query/query?adql=" + q("SELECT id, ra, dec FROM small_sky") + "&out=" + q("mydb://third"),
                    bearer(a), "", "application/x-www-form-urlencoded");
  EXPECT_EQ(out->status, 413) << out->body;
  EXPECT_EQ(get(svc, a, "/mydb/describe?table=third")->status, 404);

  // Dropping the table gives its bytes back; then the second table fits.
  EXPECT_EQ(post(svc, a, "/mydb/drop?table=first")->status, 200);
  EXPECT_EQ(usage(svc, a), 10 + filler);
  auto again = c.Post("/mydb/import?table=second", bearer(a), kCsv, "text/csv");
  EXPECT_EQ(again->status, 201) << again->body;
  int64_t second = tree_bytes(home / "mydb/second");
  EXPECT_EQ(usage(svc, a), 10 + filler + second);
  // The count the service keeps agrees with the disk after a restart.
  svc.kill9_and_restart();
  a = login(svc, "alice", "alice-password");
  EXPECT_EQ(usage(svc, a), 10 + filler + second);
  EXPECT_EQ(get(svc, "", "/storage/usage")->status, 401);
}

TEST(Platform, TraversalShapedNamesAnswer403NamingTheProblem) {
  ServiceProcess svc({});
  add_user(svc, "alice", "alice-password");
  add_user(svc, "bob", "bob-password1");
  std::string a = login(svc, "alice", "alice-password"), b = login(svc, "bob", "bob-password1");
  ASSERT_EQ(put(svc, a, "vos://secret/plan.txt", "alice's plan")->status, 201);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"vos://../alice/files/secret/plan.txt", "may not start with '.'"},
      {"vos://public/../../alice/files/secret/plan.txt", "may not start with '.'"},
      {"vos://~alice/public/..\\secret\\plan.txt", "may not start with '.'"},
      {"vos://%2e%2e/alice/files/secret/plan.txt", "'%' is refused"},
      {"vos://~alice/public/x%252e/plan.txt", "'%' is refused"},
      {"vos://a\\b.txt", "is refused (not a path separator here)"},
      {"vos:///etc/passwd", "absolute paths are refused"},
      {"vos://a//b", "empty path component"},
      {"/etc/passwd", "only vos:// names"},
      {"file:///etc/passwd", "only vos:// names"},
      {"vos://~\xd0\xb0lice/public/x.txt", "is not a user's folder"},
      {"vos://~alice/publ\xd1\x96" "c/x.txt", "non-ASCII"},
      {std::string("vos://a\x01.txt"), "control"}};
  for (const auto& [name, why] : cases)
    for (const std::string& path : {"/storage/stat?name=" + q(name), "/storage/get?name=" + q(name)}) {
      auto r = get(svc, b, path);
      EXPECT_EQ(r->status, 403) << name << " " << r->body;
      EXPECT_NE(r->body.find("path outside your storage area"), std::string::npos) << name << " " << r->body;
      EXPECT_NE(r->body.find(why), std::string::npos) << name << " " << r->body;
    }
  EXPECT_EQ(put(svc, b, "vos://../alice/files/x.txt", "bob was here")->status, 403);
  EXPECT_EQ(post(svc, b, "/storage/mkdir?dir=" + q("vos:///tmp/x"))->status, 403);
  // MyDB table names shaped like paths, too.
  auto c = svc.client();
  auto t = c.Post("/mydb/import?table=" + q("../alice/mydb/t"), bearer(b), kCsv, "text/csv");
  EXPECT_EQ(t->status, 403);
  EXPECT_NE(t->body.find("path outside your MyDB"), std::string::npos) << t->body;
  EXPECT_EQ(get(svc, b, "/mydb/describe?table=" + q("..%2Ft"))->status, 403);
  // Names that are merely malformed stay 400, with their own message.
  auto space = get(svc, a, "/storage/stat?name=" + q("vos://my notes.txt"));
  EXPECT_EQ(space->status, 400);
  EXPECT_NE(space->body.find("names may hold only"), std::string::npos) << space->body;
  EXPECT_EQ(get(svc, a, "/storage/stat?name=" + q("notes.txt"))->status, 400);
  EXPECT_EQ(get(svc, a, "/mydb/describe?table=" + q("Bad-Name"))->status, 400);
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://secret/plan.txt"))->body, "alice's plan");
}

}  // namespace
}  // namespace al_service_test
