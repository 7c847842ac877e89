// The Data Lab-compatible /auth endpoints: login (form POST, or GET with X-DL-Password),
// logout, whoAmI, isValidToken.
#pragma once
#include <httplib.h>

#include "service/auth/accounts.h"

namespace astrolake::service {

void add_auth_routes(httplib::Server& server, Accounts& accounts);

}  // namespace astrolake::service
