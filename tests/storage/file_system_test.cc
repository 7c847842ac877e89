#include "storage/file_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "storage/s3.h"

using namespace astrolake::storage;
namespace fs = std::filesystem;

namespace {

struct Tmp {
  fs::path path = fs::temp_directory_path() / ("al_fs_test_" + std::to_string(::getpid()));
  Tmp() { fs::create_directories(path); }
  ~Tmp() { fs::remove_all(path); }
};

// Sets environment variables for one test and restores them after.
struct Env {
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  void set(const std::string& k, const std::string& v) {
    const char* old = std::getenv(k.c_str());
    saved.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(k.c_str(), v.c_str(), 1);
  }
  void unset(const std::string& k) {
    const char* old = std::getenv(k.c_str());
    saved.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
    ::unsetenv(k.c_str());
  }
  ~Env() {
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
      if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else ::unsetenv(it->first.c_str());
    }
  }
};

}  // namespace

TEST(FileSystem, FactoryPicksByScheme) {
  EXPECT_EQ(file_system_for("s3://b/k"), s3_file_system());
  EXPECT_EQ(file_system_for("https://h/x"), http_file_system());
  EXPECT_EQ(file_system_for("http://h/x"), http_file_system());
  EXPECT_EQ(file_system_for("/tmp/x"), local_file_system());
  EXPECT_EQ(file_system_for("s3x/y"), local_file_system());
  EXPECT_EQ(join_path("s3://b/cat/", "properties"), "s3://b/cat/properties");
  EXPECT_EQ(base_name("s3://b/cat/"), "cat");
}

TEST(FileSystem, LocalWriteIsInvisibleUntilCommit) {
  Tmp t;
  auto lfs = local_file_system();
  std::string p = (t.path / "sub/dir/a.bin").string();
  {
    auto f = lfs->create(p);
    f->append(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("hello"), 5));
    EXPECT_FALSE(lfs->stat(p));
    // destroyed without commit: nothing remains, not even the temporary file
  }
  EXPECT_FALSE(lfs->stat(p));
  EXPECT_EQ(lfs->list((t.path / "sub/dir").string()).size(), 0u);
  lfs->write_file(p, std::string("hello world"));
  EXPECT_EQ(lfs->stat(p), 11u);
  EXPECT_EQ(lfs->read_file(p), "hello world");
  auto entries = lfs->list((t.path / "sub").string());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "dir");
  EXPECT_TRUE(entries[0].is_dir);
  lfs->remove_all((t.path / "sub").string());
  EXPECT_FALSE(lfs->stat(p));
  EXPECT_TRUE(lfs->list((t.path / "sub").string()).empty());
}

TEST(FileSystem, HttpIsReadOnly) {
  try {
    http_file_system()->write_file("http://127.0.0.1:1/x", std::string("x"));
    FAIL() << "expected an error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos);
  }
}

TEST(S3Config, EnvironmentWins) {
  Env env;
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/");
  env.set("AWS_REGION", "eu-west-3");
  env.set("AWS_ACCESS_KEY_ID", "AK");
  env.set("AWS_SECRET_ACCESS_KEY", "SK");
  env.set("AWS_SESSION_TOKEN", "TOK");
  env.unset("AWS_NO_SIGN_REQUEST");
  env.unset("ASTROLAKE_S3_ADDRESSING");
  env.unset("AWS_ENDPOINT_URL_S3");
  S3Config c = load_s3_config();
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c.region, "eu-west-3");
  EXPECT_TRUE(c.path_style);  // custom endpoints are addressed by path
  EXPECT_EQ(c.creds.access_key, "AK");
  EXPECT_EQ(c.creds.secret_key, "SK");
  EXPECT_EQ(c.creds.session_token, "TOK");
  env.set("AWS_NO_SIGN_REQUEST", "true");
  EXPECT_TRUE(load_s3_config().creds.anonymous());
}

TEST(S3Config, ProfilesFromAwsFiles) {
  Tmp t;
  Env env;
  for (const char* k : {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION",
                        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_NO_SIGN_REQUEST",
                        "ASTROLAKE_S3_ADDRESSING"})
    env.unset(k);
  std::ofstream(t.path / "credentials") << "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n"
                                           "[survey]\naws_access_key_id = P\naws_secret_access_key = PS\n";
  std::ofstream(t.path / "config") << "[default]\nregion = us-west-2\n"
                                      "[profile survey]\nregion = ap-south-1\n"
                                      "endpoint_url = https://objects.example.org\n"
                                      "s3 =\n  addressing_style = virtual\n";
  env.set("AWS_SHARED_CREDENTIALS_FILE", (t.path / "credentials").string());
  env.set("AWS_CONFIG_FILE", (t.path / "config").string());
  env.unset("AWS_PROFILE");
  S3Config d = load_s3_config();
  EXPECT_EQ(d.creds.access_key, "D");
  EXPECT_EQ(d.region, "us-west-2");
  EXPECT_EQ(d.endpoint, "https://s3.us-west-2.amazonaws.com");
  EXPECT_FALSE(d.path_style);
  env.set("AWS_PROFILE", "survey");
  S3Config p = load_s3_config();
  EXPECT_EQ(p.creds.access_key, "P");
  EXPECT_EQ(p.creds.secret_key, "PS");
  EXPECT_EQ(p.region, "ap-south-1");
  EXPECT_EQ(p.endpoint, "https://objects.example.org");
  EXPECT_FALSE(p.path_style);
  env.set("ASTROLAKE_S3_ADDRESSING", "diagonal");
  EXPECT_THROW(load_s3_config(), IoError);
}
