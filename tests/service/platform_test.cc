// The multi-user platform against the real `astrolake serve` binary: accounts and tokens,
// job owners, personal storage, and the isolation suite (user B trying every way at user
// A's private objects; each attempt refused and A's files unchanged, byte for byte).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "platform_helpers.h"

namespace al_service_test {
namespace {

// Every regular file and directory under a user's area, with its bytes: what "unchanged" means.
std::map<std::string, std::string> snapshot(const ServiceProcess& svc, const std::string& user) {
  std::map<std::string, std::string> out;
  fs::path top = fs::path(svc.state()) / "users" / user / "files";
  for (auto it = fs::recursive_directory_iterator(top); it != fs::recursive_directory_iterator(); ++it) {
    std::string rel = fs::relative(it->path(), top).string();
    if (it->is_symlink()) out[rel] = "link:" + fs::read_symlink(it->path()).string();
    else if (it->is_directory()) out[rel] = "dir";
    else {
      std::ifstream f(it->path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      out[rel] = ss.str();
    }
  }
  return out;
}

TEST(Platform, LoginTokensLogoutAndDisable) {
  ServiceProcess svc({});
  add_user(svc, "alice", "alice-password");
  auto c = svc.client();
  // Wrong password, unknown user: 401 with a JSON error.
  auto bad = c.Post("/auth/login", httplib::Params{{"username", "alice"}, {"password", "nope-nope"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_NE(bad->body.find("\"error\""), std::string::npos);
  auto ghost = c.Post("/auth/login", httplib::Params{{"username", "nobody"}, {"password", "alice-password"}});
  EXPECT_EQ(ghost->status, 401);

  std::string tok = login(svc, "alice", "alice-password");
  ASSERT_EQ(tok.size(), 64u);  // 256 bits, hex
  // Data Lab's GET form with the password in a header gives another valid token.
  auto dl = c.Get("/auth/login?username=alice", httplib::Headers{{"X-DL-Password", "alice-password"}});
  ASSERT_EQ(dl->status, 200);
  EXPECT_NE(dl->body, tok);
  EXPECT_EQ(c.Get("/auth/whoAmI", bearer(tok))->body, "alice");
  EXPECT_EQ(c.Get("/auth/whoAmI", httplib::Headers{{"X-DL-AuthToken", dl->body}})->body, "alice");
  EXPECT_EQ(c.Get("/auth/whoAmI")->body, "anonymous");
  EXPECT_EQ(c.Get(("/auth/isValidToken?token=" + tok).c_str())->body, "True");
  // The token is stored only as a hash: its text is nowhere in the state directory.
  std::ifstream db(svc.state() + "/users.db", std::ios::binary);
  std::stringstream ss;
  ss << db.rdbuf();
  EXPECT_EQ(ss.str().find(tok), std::string::npos);
  // A token in a query parameter is not a login.
  EXPECT_EQ(c.Get(("/auth/whoAmI?token=" + tok).c_str())->body, "anonymous");
  EXPECT_EQ(c.Get(("/storage/ls?token=" + tok).c_str())->status, 401);
  // Malformed tokens and headers.
  for (std::string t : {std::string("x"), std::string(64, 'g'), tok.substr(0, 63), tok + "0", tok.substr(0, 63) + "'"})
    EXPECT_EQ(c.Get("/auth/whoAmI", bearer(t))->status, 401) << t;
  EXPECT_EQ(c.Get("/auth/whoAmI", httplib::Headers{{"Authorization", "Basic YWxpY2U6eA=="}})->status, 401);
  // Logout revokes that token only.
  EXPECT_EQ(c.Get("/auth/logout", bearer(tok))->body, "OK");
  EXPECT_EQ(c.Get("/auth/whoAmI", bearer(tok))->status, 401);
  EXPECT_EQ(c.Get(("/auth/isValidToken?token=" + tok).c_str())->body, "False");
  EXPECT_EQ(c.Get("/auth/whoAmI", bearer(dl->body))->body, "alice");
  // Disabled: the token stops working and a login answers 403.
  ASSERT_EQ(admin(svc, "disable alice"), 0);
  EXPECT_EQ(c.Get("/storage/ls", bearer(dl->body))->status, 401);
  auto off = c.Post("/auth/login", httplib::Params{{"username", "alice"}, {"password", "alice-password"}});
  EXPECT_EQ(off->status, 403);
  ASSERT_EQ(admin(svc, "enable alice"), 0);
  EXPECT_FALSE(login(svc, "alice", "alice-password").empty());
  EXPECT_NE(admin(svc, "add alice"), 0);        // exists
  EXPECT_NE(admin(svc, "add ../x"), 0);         // bad name
  EXPECT_NE(admin(svc, "disable nobody"), 0);   // no such user
}

TEST(Platform, LoginsAreRateLimitedPerUserAndAddress) {
  ServiceProcess svc({});
  add_user(svc, "alice", "alice-password");
  auto c = svc.client();
  for (int i = 0; i < 5; i++)
    EXPECT_EQ(c.Post("/auth/login", httplib::Params{{"username", "alice"}, {"password", "guess" + std::to_string(i)}})
                  ->status,
              401);
  // Now even the right password is refused for a while, without being checked.
  EXPECT_EQ(c.Post("/auth/login", httplib::Params{{"username", "alice"}, {"password", "alice-password"}})->status, 429);
  // Per address: guessing many different names from one address stops too.
  int limited = 0;
  for (int i = 0; i < 25; i++)
    limited += c.Post("/auth/login", httplib::Params{{"username", "u" + std::to_string(i)}, {"password", "x"}})->status ==
               429;
  EXPECT_GT(limited, 0);
}

TEST(Platform, TokensExpire) {
  ServiceProcess svc({}, {"--token-lifetime", "3"});
  add_user(svc, "alice", "alice-password");
  std::string tok = login(svc, "alice", "alice-password");
  auto c = svc.client();
  EXPECT_EQ(c.Get("/auth/whoAmI", bearer(tok))->body, "alice");
  std::this_thread::sleep_for(std::chrono::milliseconds(4100));
  EXPECT_EQ(c.Get("/auth/whoAmI", bearer(tok))->status, 401);
  EXPECT_EQ(c.Get("/storage/ls", bearer(tok))->status, 401);
}

TEST(Platform, StorageOperations) {
  ServiceProcess svc({});
  add_user(svc, "alice", "alice-password");
  std::string a = login(svc, "alice", "alice-password");
  std::string data = "ra,dec\n1,2\n3,4\n";
  auto r = put(svc, a, "vos://results/q1.csv", data);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_NE(r->body.find("\"size\":" + std::to_string(data.size())), std::string::npos);
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://results/q1.csv"))->body, data);
  auto c = svc.client();
  auto part = c.Get(("/storage/get?name=" + q("vos://results/q1.csv")).c_str(),
                    httplib::Headers{{"Authorization", "Bearer " + a}, {"Range", "bytes=7-9"}});
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, data.substr(7, 3));
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://results/q1.csv"))->get_header_value("Content-Type"), "text/csv");
  // Multipart upload (a browser's form).
  httplib::MultipartFormDataItems items = {{"file", "hello\n", "h.txt", "text/plain"}};
  auto mp = c.Post(("/storage/put?name=" + q("vos://public/h.txt")).c_str(), bearer(a), items);
  ASSERT_EQ(mp->status, 201) << mp->body;
  EXPECT_NE(mp->body.find("\"public\":true"), std::string::npos);
  auto ls = get(svc, a, "/storage/ls?name=" + q("vos://"));
  EXPECT_NE(ls->body.find("\"name\":\"results\""), std::string::npos);
  EXPECT_NE(ls->body.find("\"type\":\"dir\""), std::string::npos);
  EXPECT_EQ(post(svc, a, "/storage/mkdir?dir=" + q("vos://d1/d2"))->status, 201);
  EXPECT_EQ(post(svc, a, "/storage/cp?from=" + q("vos://results/q1.csv") + "&to=" + q("vos://d1/c.csv"))->status, 201);
  EXPECT_EQ(post(svc, a, "/storage/mv?from=" + q("vos://d1/c.csv") + "&to=" + q("vos://d1/d2/m.csv"))->status, 200);
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://d1/d2/m.csv"))->body, data);
  EXPECT_EQ(get(svc, a, "/storage/stat?name=" + q("vos://d1/c.csv"))->status, 404);
  EXPECT_EQ(post(svc, a, "/storage/rm?file=" + q("vos://d1"))->status, 409);  // not empty
  EXPECT_EQ(post(svc, a, "/storage/rm?file=" + q("vos://d1") + "&recursive=1")->status, 200);
  EXPECT_EQ(get(svc, a, "/storage/stat?name=" + q("vos://d1"))->status, 404);
  // Replacing a file: the new bytes, whole.
  ASSERT_EQ(put(svc, a, "vos://results/q1.csv", "new")->status, 201);
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://results/q1.csv"))->body, "new");
  // Anonymous callers have no storage.
  EXPECT_EQ(c.Get("/storage/ls")->status, 401);
}

// Sends a PUT whose body stops halfway, then closes the connection.
void interrupted_put(int port, const std::string& token, const std::string& name) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string req = "PUT /storage/put?name=" + q(name) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                    token + "\r\nContent-Length: 1000000\r\n\r\n" + std::string(300000, 'x');
  ASSERT_EQ(::send(s, req.data(), req.size(), MSG_NOSIGNAL), ssize_t(req.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::close(s);
}

TEST(Platform, InterruptedUploadLeavesNothing) {
  ServiceProcess svc({});
  add_user(svc, "alice", "alice-password");
  std::string a = login(svc, "alice", "alice-password");
  ASSERT_EQ(put(svc, a, "vos://keep.bin", "old bytes")->status, 201);
  interrupted_put(svc.port(), a, "vos://keep.bin");
  interrupted_put(svc.port(), a, "vos://new.bin");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(get(svc, a, "/storage/get?name=" + q("vos://keep.bin"))->body == "old bytes");
  EXPECT_EQ(get(svc, a, "/storage/stat?name=" + q("vos://new.bin"))->status, 404);
  EXPECT_TRUE(fs::is_empty(fs::path(svc.state()) / "users/alice/tmp"));
}

TEST(Platform, QuotaHoldsUnderConcurrentUploads) {
  ServiceProcess svc({});
  add_user(svc, "alice", "alice-password", "1MiB");
  std::string a = login(svc, "alice", "alice-password");
  // 12 uploads of 200 KB at once into a 1 MiB quota: at most 5 fit.
  std::vector<std::thread> ts;
  std::atomic<int> ok{0}, refused{0};
  for (int i = 0; i < 12; i++)
    ts.emplace_back([&, i] {
      auto r = put(svc, a, "vos://f" + std::to_string(i), std::string(200000, char('a' + i)));
      if (r && r->status == 201) ok++;
      else if (r && r->status == 413) refused++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok + refused, 12);
  EXPECT_LE(ok.load(), 5);
  EXPECT_GE(ok.load(), 1);
  int64_t total = 0;
  for (auto& e : fs::directory_iterator(fs::path(svc.state()) / "users/alice/files")) total += int64_t(e.file_size());
  EXPECT_LE(total, 1 << 20);
  EXPECT_EQ(total, int64_t(ok) * 200000);
  EXPECT_TRUE(fs::is_empty(fs::path(svc.state()) / "users/alice/tmp"));
  // Freeing space lets the next upload in.
  for (int i = 0; i < 12; i++) post(svc, a, "/storage/rm?file=" + q("vos://f" + std::to_string(i)));
  EXPECT_EQ(put(svc, a, "vos://big", std::string(1000000, 'z'))->status, 201);
  EXPECT_EQ(put(svc, a, "vos://more", std::string(100000, 'z'))->status, 413);
}

TEST(Platform, IsolationBetweenUsers) {
  ServiceProcess svc({"small_sky"});
  add_user(svc, "alice", "alice-password");
  add_user(svc, "bob", "bob-password1");
  std::string a = login(svc, "alice", "alice-password"), b = login(svc, "bob", "bob-password1");
  ASSERT_EQ(put(svc, a, "vos://secret/plan.txt", "alice's private plan")->status, 201);
  ASSERT_EQ(put(svc, a, "vos://public/shared.txt", "for everyone")->status, 201);
  // A job of alice's.
  auto c = svc.client();
  auto created = c.Post("/tap/async", bearer(a),
                        httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"},
                                        {"QUERY", "SELECT TOP 3 * FROM small_sky"}});
  ASSERT_EQ(created->status, 303);
  std::string loc = created->get_header_value("Location");
  std::string job = loc.substr(loc.rfind('/') + 1);
  ASSERT_EQ(c.Post(("/tap/async/" + job + "/phase").c_str(), bearer(a), "PHASE=RUN",
                   "application/x-www-form-urlencoded")->status, 303);
  std::string done = wait_done(svc, a, job);
  EXPECT_NE(done.find("COMPLETED"), std::string::npos) << done;
  EXPECT_NE(done.find("<uws:ownerId>alice</uws:ownerId>"), std::string::npos);
  // Bob plants a symbolic link in his own area pointing at alice's files, and alice's area
  // gets one in public/ pointing at her secret (as if she had made it on the server).
  fs::path users = fs::path(svc.state()) / "users";
  ASSERT_EQ(put(svc, b, "vos://mine.txt", "bob's")->status, 201);
  fs::create_directory_symlink(users / "alice/files", users / "bob/files/alice");
  fs::create_symlink(users / "alice/files/secret/plan.txt", users / "bob/files/plan.txt");
  fs::create_symlink(users / "alice/files/secret/plan.txt", users / "alice/files/public/link.txt");
  fs::create_directory_symlink(users / "alice/files/secret", users / "alice/files/public/dir");
  auto before = snapshot(svc, "alice");

  auto refused = [](const httplib::Result& r, const std::string& what) {
    ASSERT_TRUE(r) << what;
    EXPECT_TRUE(r->status == 401 || r->status == 403 || r->status == 404)
        << what << " -> " << r->status << " " << r->body;
    EXPECT_EQ(r->body.find("alice's private plan"), std::string::npos) << what;
  };
  // Names that try to reach alice's private files from bob's side.
  std::vector<std::string> names = {
      "vos://~alice/secret/plan.txt", "vos://~alice/plan.txt", "vos://~alice", "vos://~alice/",
      "vos://../alice/files/secret/plan.txt", "vos://public/../../alice/files/secret/plan.txt",
      "vos://~alice/public/../secret/plan.txt", "vos://~alice/public/%2e%2e/secret/plan.txt",
      "vos://~alice/public/%252e%252e/secret/plan.txt", "vos://%2e%2e/alice/files/secret/plan.txt",
      "vos:///etc/passwd", "vos:///" + (users / "alice/files/secret/plan.txt").string(),
      (users / "alice/files/secret/plan.txt").string(), "file://" + (users / "alice/files/secret/plan.txt").string(),
      "vos://~alice/public/..\\secret\\plan.txt", std::string("vos://~alice/public/x\0/../../secret/plan.txt", 44),
      "vos://~\xd0\xb0lice/public/shared.txt",  // Cyrillic 'a'
      "vos://~alice/publ\xd1\x96" "c/shared.txt", "vos://~alice/public/../../bob/files/mine.txt",
      "vos://alice/secret/plan.txt", "vos://plan.txt", "vos://alice/", "vos://~alice/public/link.txt",
      "vos://~alice/public/dir/plan.txt", "vos://~alice/public/dir", "vos://~ALICE/secret/plan.txt",
      "vos://~alice/./secret/plan.txt", "vos://.//~alice/secret/plan.txt"};
  // Names in bob's own area that are his planted links: writes there replace or remove the
  // link itself (never its target), so only reads must be refused; alice's snapshot below
  // shows nothing of hers changed.
  auto own_link = [](const std::string& n) { return n == "vos://plan.txt" || n == "vos://alice/"; };
  for (const auto& n : names) {
    if (own_link(n)) {
      for (std::string ep : {std::string("get"), std::string("stat"), std::string("ls")})
        if (!(ep == "ls" && n == "vos://plan.txt")) refused(get(svc, b, "/storage/" + ep + "?name=" + q(n)), ep + " " + n);
      refused(post(svc, b, "/storage/cp?from=" + q(n) + "&to=" + q("vos://stolen")), "cp " + n);
      continue;
    }
    for (std::string ep : {std::string("get"), std::string("stat"), std::string("ls")}) refused(get(svc, b, "/storage/" + ep + "?name=" + q(n)), ep + " " + n);
    refused(put(svc, b, n, "bob was here"), "put " + n);
    refused(post(svc, b, "/storage/rm?file=" + q(n) + "&recursive=1"), "rm " + n);
    refused(post(svc, b, "/storage/mkdir?dir=" + q(n)), "mkdir " + n);
    refused(post(svc, b, "/storage/mv?from=" + q(n) + "&to=" + q("vos://stolen")), "mv " + n);
    refused(post(svc, b, "/storage/mv?from=" + q("vos://mine.txt") + "&to=" + q(n)), "mv to " + n);
    refused(post(svc, b, "/storage/cp?from=" + q(n) + "&to=" + q("vos://stolen")), "cp " + n);
  }
  // Writing into alice's public folder is refused; reading it works.
  refused(put(svc, b, "vos://~alice/public/shared.txt", "overwritten"), "put into ~alice/public");
  refused(post(svc, b, "/storage/rm?file=" + q("vos://~alice/public/shared.txt")), "rm ~alice/public");
  EXPECT_EQ(get(svc, b, "/storage/get?name=" + q("vos://~alice/public/shared.txt"))->body, "for everyone");
  // Raw, unencoded traversal in the URL itself.
  refused(get(svc, b, "/storage/get?name=vos://~alice/public/%2e%2e/secret/plan.txt"), "raw %2e");
  refused(get(svc, b, "/storage/get?name=vos://~alice/public/%252e%252e/secret/plan.txt"), "raw %252e");
  refused(get(svc, b, "/storage/../users/alice/files/secret/plan.txt"), "url path traversal");
  // Alice's job: by id, its parts, actions, and the list.
  for (std::string part : std::vector<std::string>{"", "/phase", "/results", "/results/result", "/parameters", "/owner", "/error",
                           "/quote", "/executionduration", "/destruction"})
    refused(get(svc, b, "/tap/async/" + job + part), "job" + part);
  auto list = get(svc, b, "/tap/async");
  EXPECT_EQ(list->body.find(job), std::string::npos);
  EXPECT_EQ(c.Get("/tap/async")->body.find(job), std::string::npos);  // anonymous
  refused(c.Get(("/tap/async/" + job).c_str()), "anonymous job");
  refused(c.Delete(("/tap/async/" + job).c_str(), bearer(b)), "delete job");
  refused(post(svc, b, "/tap/async/" + job + "?ACTION=DELETE"), "ACTION=DELETE");
  refused(c.Post(("/tap/async/" + job + "/phase").c_str(), bearer(b), "PHASE=ABORT",
                 "application/x-www-form-urlencoded"),
          "abort job");
  refused(get(svc, b, "/tap/async/" + job.substr(0, 15) + "0"), "guessed job id");
  // Alice's token in a query parameter, bob's token after logout, forged tokens.
  refused(c.Get(("/storage/get?name=" + q("vos://secret/plan.txt") + "&token=" + a).c_str()), "token in query");
  refused(c.Get(("/tap/async/" + job + "?token=" + a).c_str()), "job token in query");
  std::string b2 = login(svc, "bob", "bob-password1");
  EXPECT_EQ(c.Get("/auth/logout", bearer(b2))->body, "OK");
  refused(get(svc, b2, "/storage/ls?name=" + q("vos://")), "after logout");
  refused(get(svc, std::string(64, '0'), "/storage/ls"), "forged token");
  refused(get(svc, a.substr(1) + "0", "/storage/get?name=" + q("vos://secret/plan.txt")), "altered token");
  // Nothing of alice's changed; her own view is intact.
  EXPECT_EQ(snapshot(svc, "alice"), before);
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://secret/plan.txt"))->body, "alice's private plan");
  EXPECT_EQ(get(svc, a, "/tap/async/" + job + "/phase")->body, "COMPLETED");
  EXPECT_EQ(get(svc, a, "/tap/async/" + job + "/results/result")->status, 200);
}

TEST(Platform, Kill9DuringUploadsAndJobsThenRestart) {
  ServiceProcess svc({"small_sky"});
  add_user(svc, "alice", "alice-password");
  std::string a = login(svc, "alice", "alice-password");
  auto c = svc.client();
  // A finished job (its result into storage too) and a long one still running at the kill.
  auto job = [&](const std::string& query, const std::string& out) {
    httplib::Params p{{"LANG", "ADQL"}, {"PHASE", "RUN"}, {"QUERY", query}};
    if (!out.empty()) p.emplace("OUT", out);
    auto r = c.Post("/tap/async", bearer(a), p);
    EXPECT_EQ(r->status, 303);
    std::string loc = r->get_header_value("Location");
    return loc.substr(loc.rfind('/') + 1);
  };
  std::string finished = job("SELECT TOP 7 id FROM small_sky ORDER BY id", "vos://jobs/done.csv");
  ASSERT_NE(wait_done(svc, a, finished).find("COMPLETED"), std::string::npos);
  std::string finished_result = get(svc, a, "/tap/async/" + finished + "/results/result")->body;
  std::string finished_file = get(svc, a, "/storage/get?name=" + q("vos://jobs/done.csv"))->body;
  std::string running = job("SELECT COUNT(*) FROM small_sky a, small_sky b, small_sky c, small_sky d",
                            "vos://jobs/never.csv");
  for (int i = 0; i < 500 && get(svc, a, "/tap/async/" + running + "/phase")->body != "EXECUTING"; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(get(svc, a, "/tap/async/" + running + "/phase")->body, "EXECUTING");
  std::map<std::string, std::string> acked;
  for (int i = 0; i < 20; i++) {
    std::string name = "vos://up/f" + std::to_string(i), body(10000 + i * 997, char('a' + i % 26));
    if (put(svc, a, name, body)->status == 201) acked[name] = body;
  }
  ASSERT_EQ(acked.size(), 20u);
  // Uploads in flight when the process dies.
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; i++)
    ts.emplace_back([&, i] {
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(uint16_t(svc.port()));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
      std::string req = "PUT /storage/put?name=" + q("vos://up/f" + std::to_string(i)) +
                        " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + a +
                        "\r\nContent-Length: 5000000\r\n\r\n" + std::string(200000, 'Z');
      ::send(s, req.data(), req.size(), MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      ::close(s);
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  svc.kill9_and_restart();
  for (auto& t : ts) t.join();
  std::string a2 = login(svc, "alice", "alice-password");  // tokens survive too
  EXPECT_EQ(svc.client().Get("/auth/whoAmI", bearer(a))->body, "alice");
  for (const auto& [name, body] : acked) EXPECT_TRUE(get(svc, a2, "/storage/get?name=" + q(name))->body == body) << name;
  EXPECT_TRUE(fs::is_empty(fs::path(svc.state()) / "users/alice/tmp"));
  // The finished job and its stored result are intact; the interrupted one is ERROR, has no
  // result, and wrote nothing into storage.
  EXPECT_EQ(get(svc, a2, "/tap/async/" + finished + "/phase")->body, "COMPLETED");
  EXPECT_EQ(get(svc, a2, "/tap/async/" + finished + "/results/result")->body, finished_result);
  EXPECT_EQ(get(svc, a2, "/storage/get?name=" + q("vos://jobs/done.csv"))->body, finished_file);
  EXPECT_EQ(get(svc, a2, "/tap/async/" + running + "/phase")->body, "ERROR");
  EXPECT_EQ(get(svc, a2, "/tap/async/" + running + "/results/result")->status, 404);
  EXPECT_EQ(get(svc, a2, "/storage/stat?name=" + q("vos://jobs/never.csv"))->status, 404);
}

}  // namespace
}  // namespace al_service_test

namespace al_service_test {
namespace {

TEST(Platform, QueryResultsIntoStorage) {
  ServiceProcess svc({"small_sky"});
  add_user(svc, "alice", "alice-password");
  std::string a = login(svc, "alice", "alice-password");
  auto c = svc.client();
  const std::string adql = "SELECT TOP 5 id, ra, dec FROM small_sky ORDER BY id";
  // The same query answered directly, as CSV: what the stored file must hold.
  auto direct = c.Post("/tap/sync", httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql},
                                                    {"RESPONSEFORMAT", "csv"}});
  ASSERT_EQ(direct->status, 200) << direct->body;
  auto r = c.Post("/tap/sync", bearer(a),
                  httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql}, {"OUT", "vos://results/q1.csv"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"out\":\"vos://results/q1.csv\""), std::string::npos) << r->body;
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://results/q1.csv"))->body, direct->body);
  auto pq = c.Post("/tap/sync", bearer(a),
                   httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql}, {"OUT", "vos://q1.parquet"}});
  ASSERT_EQ(pq->status, 200) << pq->body;
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://q1.parquet"))->body.substr(0, 4), "PAR1");
  // A HATS directory: a catalog the engine can open, listed as a folder.
  auto hats = c.Post("/tap/sync", bearer(a), httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"},
                                                             {"QUERY", "SELECT id, ra, dec FROM small_sky"},
                                                             {"OUT", "vos://results/sky/"}});
  ASSERT_EQ(hats->status, 200) << hats->body;
  EXPECT_NE(get(svc, a, "/storage/stat?name=" + q("vos://results/sky"))->body.find("\"type\":\"dir\""), std::string::npos);
  fs::path cat = fs::path(svc.state()) / "users/alice/files/results/sky";
  EXPECT_TRUE(fs::exists(cat / "properties") || fs::exists(cat / "collection.properties")) << cat;
  EXPECT_EQ(c.Post("/tap/sync", bearer(a), httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"},
                                                           {"QUERY", "SELECT id, ra, dec FROM small_sky"},
                                                           {"OUT", "vos://results/sky/"}})->status,
            409);
  EXPECT_TRUE(fs::is_empty(fs::path(svc.state()) / "users/alice/tmp"));
  // Anonymous callers cannot write; unknown formats and traversal are refused.
  EXPECT_EQ(c.Post("/tap/sync", httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql},
                                                {"OUT", "vos://x.csv"}})->status,
            401);
  EXPECT_EQ(c.Post("/tap/sync", bearer(a), httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql},
                                                           {"OUT", "vos://x.exe"}})->status,
            400);
  EXPECT_EQ(c.Post("/tap/sync", bearer(a), httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql},
                                                           {"OUT", "vos://../bob/x.csv"}})->status,
            403);
  // Async: the job writes its result into storage too.
  auto created = c.Post("/tap/async", bearer(a),
                        httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql},
                                        {"OUT", "vos://results/async.csv"}, {"PHASE", "RUN"}});
  ASSERT_EQ(created->status, 303) << created->body;
  std::string loc = created->get_header_value("Location");
  std::string job = loc.substr(loc.rfind('/') + 1);
  std::string done = wait_done(svc, a, job);
  EXPECT_NE(done.find("COMPLETED"), std::string::npos) << done;
  EXPECT_EQ(get(svc, a, "/storage/get?name=" + q("vos://results/async.csv"))->body, direct->body);
  EXPECT_EQ(c.Post("/tap/async", httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql},
                                                 {"OUT", "vos://x.csv"}})->status,
            401);
}

}  // namespace
}  // namespace al_service_test

namespace al_service_test {
namespace {

std::string sync_csv(const ServiceProcess& svc, const std::string& token, const std::string& adql, int* status = nullptr) {
  auto c = svc.client();
  httplib::Params p{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"QUERY", adql}, {"RESPONSEFORMAT", "csv"}};
  auto r = token.empty() ? c.Post("/tap/sync", p) : c.Post("/tap/sync", bearer(token), p);
  if (status) *status = r->status;
  return r->body;
}

TEST(Platform, MyDbImportQueryJoinAndIsolation) {
  ServiceProcess svc({"small_sky"});
  add_user(svc, "alice", "alice-password");
  add_user(svc, "bob", "bob-password1");
  std::string a = login(svc, "alice", "alice-password"), b = login(svc, "bob", "bob-password1");
  auto c = svc.client();
  // A CSV upload with RA/Dec under other names.
  std::string csv = "name,alpha,delta,mag\nx1,282.5,-58.5,11.5\nx2,299.5,-48.5,12.5\nx3,10.0,20.0,13.5\n";
  auto imp = c.Post("/mydb/import?table=mine&ra=alpha&dec=delta", bearer(a), csv, "text/csv");
  ASSERT_EQ(imp->status, 201) << imp->body;
  EXPECT_NE(imp->body.find("\"rows\":3"), std::string::npos) << imp->body;
  EXPECT_NE(imp->body.find("\"name\":\"mag\""), std::string::npos);
  EXPECT_EQ(c.Post("/mydb/import?table=mine&ra=alpha&dec=delta", bearer(a), csv, "text/csv")->status, 409);
  EXPECT_NE(get(svc, a, "/mydb/list")->body.find("\"name\":\"mine\""), std::string::npos);
  EXPECT_EQ(get(svc, a, "/mydb/describe?table=mine")->status, 200);
  // In ADQL, TAP_SCHEMA and /tap/tables, for alice only.
  EXPECT_EQ(sync_csv(svc, a, "SELECT COUNT(*) AS n FROM mydb.mine"), "n\r\n3\r\n");
  const std::string ts = "SELECT table_name FROM TAP_SCHEMA.tables WHERE schema_name = 'mydb'";
  EXPECT_EQ(sync_csv(svc, a, ts), "table_name\r\nmydb.mine\r\n");
  EXPECT_EQ(sync_csv(svc, b, ts), "table_name\r\n");
  EXPECT_EQ(sync_csv(svc, "", ts), "table_name\r\n");
  EXPECT_NE(sync_csv(svc, a, "SELECT column_name FROM TAP_SCHEMA.columns WHERE table_name = 'mydb.mine'").find("alpha"),
            std::string::npos);
  EXPECT_NE(get(svc, a, "/tap/tables")->body.find("<name>mydb.mine</name>"), std::string::npos);
  EXPECT_EQ(get(svc, b, "/tap/tables")->body.find("mydb.mine"), std::string::npos);
  EXPECT_EQ(c.Get("/tap/tables")->body.find("mydb.mine"), std::string::npos);
  int st = 0;
  std::string refused = sync_csv(svc, b, "SELECT COUNT(*) AS n FROM mydb.mine", &st);
  EXPECT_EQ(st, 400);
  // The message names the table, never the service's folders.
  EXPECT_NE(refused.find("no catalog 'mine' under your mydb schema"), std::string::npos) << refused;
  EXPECT_EQ(refused.find(svc.state()), std::string::npos) << refused;
  refused = sync_csv(svc, "", "SELECT COUNT(*) AS n FROM mydb.mine", &st);
  EXPECT_EQ(st, 400);
  EXPECT_EQ(refused.find(svc.state()), std::string::npos) << refused;
  sync_csv(svc, b, "SELECT * FROM mydb.\"../../alice/mydb/mine\"", &st);
  EXPECT_EQ(st, 400);
  sync_csv(svc, b, "SELECT * FROM mydb.\"/tmp\"", &st);
  EXPECT_EQ(st, 400);
  for (std::string path : {std::string("/mydb/describe?table=mine"), std::string("/mydb/describe?table=..%2Fmine")})
    EXPECT_EQ(get(svc, b, path)->status, path.find("..") == std::string::npos ? 404 : 403) << path;
  EXPECT_EQ(get(svc, b, "/mydb/list")->body, "[]\n");
  EXPECT_EQ(post(svc, b, "/mydb/drop?table=mine")->status, 404);
  EXPECT_EQ(c.Get("/mydb/list")->status, 401);
  // A query result saved as a table, then joined with a public catalog.
  auto saved = c.Post("/tap/sync", bearer(a),
                      httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"},
                                      {"QUERY", "SELECT id, ra, dec FROM small_sky WHERE id < 710"},
                                      {"OUT", "mydb://firsts"}});
  ASSERT_EQ(saved->status, 200) << saved->body;
  std::string expect = sync_csv(svc, "", "SELECT COUNT(*) AS n FROM small_sky WHERE id < 710");
  EXPECT_EQ(sync_csv(svc, a, "SELECT COUNT(*) AS n FROM mydb.firsts"), expect);
  EXPECT_EQ(sync_csv(svc, a, "SELECT COUNT(*) AS n FROM mydb.firsts f JOIN small_sky s ON f.id = s.id"), expect);
  EXPECT_EQ(sync_csv(svc, a, "SELECT m.name FROM mydb.mine m JOIN small_sky s ON s.ra = m.alpha AND s.dec = m.delta "
                             "ORDER BY m.name"),
            "name\r\nx1\r\nx2\r\n");  // x1, x2 sit exactly on small_sky rows 700, 701; x3 on none
  // A VOTable upload (the service's own VOTable output, as a client would save it).
  auto c2 = svc.client();
  auto vot = c2.Post("/tap/sync", httplib::Params{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}, {"RESPONSEFORMAT", "votable/td"},
                                                  {"QUERY", "SELECT id, ra, dec FROM small_sky WHERE id < 705"}});
  ASSERT_EQ(vot->status, 200);
  httplib::MultipartFormDataItems items = {{"file", vot->body, "t.vot", "application/x-votable+xml"}};
  auto vimp = c2.Post("/mydb/import?table=fromvot", bearer(a), items);
  ASSERT_EQ(vimp->status, 201) << vimp->body;
  EXPECT_EQ(sync_csv(svc, a, "SELECT COUNT(*) AS n FROM mydb.fromvot"),
            sync_csv(svc, "", "SELECT COUNT(*) AS n FROM small_sky WHERE id < 705"));
  EXPECT_EQ(c2.Post("/mydb/import?table=bad", bearer(a), "<?xml version=\"1.0\"?><VOTABLE><oops", "text/xml")->status, 400);
  EXPECT_EQ(post(svc, a, "/mydb/drop?table=mine")->status, 200);
  sync_csv(svc, a, "SELECT COUNT(*) AS n FROM mydb.mine", &st);
  EXPECT_EQ(st, 400);
}

}  // namespace
}  // namespace al_service_test

namespace al_service_test {
namespace {

TEST(Platform, DataLabQueryAliases) {
  ServiceProcess svc({"small_sky"});
  add_user(svc, "alice", "alice-password");
  add_user(svc, "bob", "bob-password1");
  std::string a = login(svc, "alice", "alice-password"), b = login(svc, "bob", "bob-password1");
  const std::string adql = "SELECT TOP 3 id FROM small_sky ORDER BY id";
  std::string expect = sync_csv(svc, "", adql);
  EXPECT_EQ(get(svc, a, "/query/query?ofmt=csv&adql=" + q(adql))->body, expect);
  auto c = svc.client();
  auto job = c.Post("/query/query", bearer(a), httplib::Params{{"adql", adql}, {"ofmt", "csv"}, {"async", "true"}});
  ASSERT_EQ(job->status, 200) << job->body;
  std::string id = job->body;
  for (int i = 0; i < 200 && get(svc, a, "/query/status?jobid=" + id)->body != "COMPLETED"; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(get(svc, a, "/query/results?jobid=" + id)->body, expect);
  // Another user's job id is not there for bob, nor for anonymous callers.
  for (std::string p : {std::string("status"), std::string("results"), std::string("abort")}) {
    EXPECT_EQ(get(svc, b, "/query/" + p + "?jobid=" + id)->status, 404) << p;
    EXPECT_EQ(c.Get(("/query/" + p + "?jobid=" + id).c_str())->status, 404) << p;
  }
  EXPECT_EQ(get(svc, a, "/query/status?jobid=" + id)->body, "COMPLETED");
  EXPECT_EQ(c.Get("/query/query?adql=")->status, 400);
}

}  // namespace
}  // namespace al_service_test
