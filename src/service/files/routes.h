// The /storage endpoints (ls, stat, get with Range, put, mkdir, mv, cp, rm) over Storage;
// every one needs a logged-in caller. Answers are JSON; errors {"error": ...}.
#pragma once
#include <httplib.h>

#include "service/auth/accounts.h"
#include "service/files/storage.h"

namespace astrolake::service {

void add_storage_routes(httplib::Server& server, Storage& storage, Accounts& accounts);

}  // namespace astrolake::service
