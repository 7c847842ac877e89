// `astrolake functions`: every function a query can call, with its signature and one line of
// help: the engine registry (math, string, aggregates, light curves, healpix...) and ADQL's
// geometry constructs.
#include <cstdio>
#include <string>

#include "adql/planner.h"
#include "cli/commands.h"
#include "engine/functions.h"

namespace astrolake::cli {

void add_functions(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("functions", "List the functions ADQL queries can use");
  sub->callback([] {
    adql::register_adql_functions();
    std::printf("Geometry (ADQL):\n");
    for (const auto& g : adql::geometry_functions())
      std::printf("  %-62s %s\n", g.signature.c_str(), g.help.c_str());
    std::printf("\nAggregates:\n");
    for (const engine::Function* f : engine::FunctionRegistry::global().list())
      if (f->aggregate) std::printf("  %-62s %s\n", f->signature.c_str(), f->help.c_str());
    std::printf("\nScalar functions:\n");
    for (const engine::Function* f : engine::FunctionRegistry::global().list())
      if (!f->aggregate) std::printf("  %-62s %s\n", f->signature.c_str(), f->help.c_str());
  });
}

}  // namespace astrolake::cli
