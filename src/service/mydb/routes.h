// The /mydb endpoints: list, describe, import (body, multipart field `file`, or from=vos://),
// drop. Every one needs a logged-in caller; answers are JSON.
#pragma once
#include <httplib.h>

#include "service/auth/accounts.h"
#include "service/files/storage.h"
#include "service/mydb/mydb.h"

namespace astrolake::service {

void add_mydb_routes(httplib::Server& server, MyDb& mydb, Storage& storage, Accounts& accounts,
                     const std::string& tmp_dir);

}  // namespace astrolake::service
