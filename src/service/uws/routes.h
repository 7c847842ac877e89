// The /tap/async resources (UWS 1.1): the job list, a job and its parts (phase,
// executionduration, destruction, quote, error, results, parameters, owner).
#pragma once
#include <functional>
#include <string>

#include <httplib.h>

#include "service/uws/jobs.h"

namespace astrolake::service {

// `base` gives the TAP base URL for a request (links in the documents are absolute).
void add_async_routes(httplib::Server& server, JobManager& jobs,
                      std::function<std::string(const httplib::Request&)> base);

}  // namespace astrolake::service
