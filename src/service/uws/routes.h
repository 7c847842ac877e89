// The /tap/async resources (UWS 1.1): the job list, a job and its parts (phase,
// executionduration, destruction, quote, error, results, parameters, owner).
#pragma once
#include <functional>
#include <string>

#include <httplib.h>

#include "service/uws/jobs.h"

namespace astrolake::service {

// `base` gives the TAP base URL for a request (links in the documents are absolute);
// `caller` the name of the request's user ("" for anonymous; it throws DaliError for a bad
// token). A job belongs to the caller that created it: others get 404 for it and do not see
// it in the list; anonymous jobs are shared by anonymous callers.
void add_async_routes(httplib::Server& server, JobManager& jobs,
                      std::function<std::string(const httplib::Request&)> base,
                      std::function<std::string(const httplib::Request&)> caller);

}  // namespace astrolake::service
