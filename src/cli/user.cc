// `astrolake user add|list|disable|enable|passwd|quota`: account administration on the
// service's state directory (the same users.db that `astrolake serve --state DIR` reads; it
// may run while the service does). Passwords are read from standard input, one line.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include "catalog/import.h"
#include "cli/commands.h"
#include "service/auth/accounts.h"
#include "service/files/storage.h"

namespace astrolake::cli {

namespace {

struct UserArgs {
  std::string state, name, quota;
};

std::string state_dir(const UserArgs& a) {
  std::string s = a.state;
  if (s.empty()) {
    const char* env = std::getenv("ASTROLAKE_STATE");
    s = env && *env ? env : "state";
  }
  std::filesystem::create_directories(s);
  return s;
}

std::string read_password() {
  if (::isatty(0)) std::fprintf(stderr, "password: ");
  std::string pw;
  std::getline(std::cin, pw);
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  if (pw.size() < 8) throw std::runtime_error("the password (one line on standard input) must have at least 8 characters");
  return pw;
}

service::User existing(service::UserStore& store, const std::string& name) {
  std::optional<service::User> u = store.get(name);
  if (!u) throw std::runtime_error("no user '" + name + "'");
  return *u;
}

}  // namespace

void add_user(CLI::App& app) {
  auto a = std::make_shared<UserArgs>();
  CLI::App* sub = app.add_subcommand("user", "Manage the service's user accounts");
  sub->require_subcommand(1);
  auto common = [&](CLI::App* c, bool named) {
    if (named) c->add_option("NAME", a->name, "User name")->required();
    c->add_option("--state", a->state, "The service's state directory (default $ASTROLAKE_STATE or ./state)");
  };
  CLI::App* add = sub->add_subcommand("add", "Add a user (password from standard input)");
  common(add, true);
  add->add_option("--quota", a->quota, "Storage quota (default 10GiB)");
  add->callback([a] {
    service::check_user_name(a->name);
    service::UserStore store(state_dir(*a) + "/users.db");
    service::User u;
    u.name = a->name;
    u.password_hash = service::hash_password(read_password());
    u.created = int64_t(std::time(nullptr));
    if (!a->quota.empty()) u.quota_bytes = int64_t(catalog::parse_byte_size(a->quota));
    if (!store.add(u)) throw std::runtime_error("user '" + a->name + "' exists");
    std::printf("added user %s\n", a->name.c_str());
  });
  CLI::App* list = sub->add_subcommand("list", "List the users");
  common(list, false);
  list->callback([a] {
    std::string state = state_dir(*a);
    service::UserStore store(state + "/users.db");
    // used: files plus MyDB tables, the bytes the quota counts.
    for (const auto& u : store.list())
      std::printf("%s\t%s\tused=%lld\tquota=%lld\n", u.name.c_str(), u.disabled ? "disabled" : "active",
                  (long long)service::usage_bytes(state + "/users", u.name), (long long)u.quota_bytes);
  });
  for (bool disable : {true, false}) {
    CLI::App* c = sub->add_subcommand(disable ? "disable" : "enable",
                                      disable ? "Disable a user (their tokens are revoked)" : "Enable a user again");
    common(c, true);
    c->callback([a, disable] {
      service::UserStore store(state_dir(*a) + "/users.db");
      service::User u = existing(store, a->name);
      u.disabled = disable;
      store.update(u);
      if (disable) store.revoke_all(u.name);
      std::printf("%s %s\n", disable ? "disabled" : "enabled", u.name.c_str());
    });
  }
  CLI::App* passwd = sub->add_subcommand("passwd", "Set a user's password (from standard input); logs them out");
  common(passwd, true);
  passwd->callback([a] {
    service::UserStore store(state_dir(*a) + "/users.db");
    service::User u = existing(store, a->name);
    u.password_hash = service::hash_password(read_password());
    store.update(u);
    store.revoke_all(u.name);
    std::printf("password of %s changed\n", u.name.c_str());
  });
  CLI::App* quota = sub->add_subcommand("quota", "Set a user's storage quota");
  common(quota, true);
  quota->add_option("SIZE", a->quota, "e.g. 20GiB")->required();
  quota->callback([a] {
    service::UserStore store(state_dir(*a) + "/users.db");
    service::User u = existing(store, a->name);
    u.quota_bytes = int64_t(catalog::parse_byte_size(a->quota));
    store.update(u);
    std::printf("quota of %s: %lld bytes\n", u.name.c_str(), (long long)u.quota_bytes);
  });
}

}  // namespace astrolake::cli
