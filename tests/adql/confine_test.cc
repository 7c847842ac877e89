// PlanOptions::confine_to_root, the mode a served deployment plans queries in: every catalog
// name resolves inside the root, and a refused name is a PlanError with its position.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "adql/planner.h"
#include "engine/column_ops.h"

using namespace astrolake;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) { return std::string(AL_TEST_DATA) + "/hats/" + name; }

struct Root {
  fs::path dir = fs::temp_directory_path() / ("al_adql_confine_" + std::to_string(::getpid()));
  std::string root = (dir / "root").string();
  Root() {
    fs::remove_all(dir);
    fs::create_directories(root);
    fs::create_directory_symlink(fixture("small_sky"), root + "/small_sky");  // leaves the root
    fs::copy(fixture("small_sky"), root + "/inside", fs::copy_options::recursive);
    fs::create_directory_symlink("inside", root + "/alias");
  }
  ~Root() { fs::remove_all(dir); }
  std::string error_of(const std::string& q, bool confine = true) {
    adql::PlanOptions o;
    o.root = root;
    o.threads = 1;
    o.confine_to_root = confine;
    try {
      adql::Plan p = adql::plan(q, o);
      engine::collect(*p.root);
    } catch (const adql::PlanError& e) {
      return e.what();
    }
    return "";
  }
};

TEST(AdqlConfine, RefusesNamesThatLeaveTheRoot) {
  Root r;
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM inside"), "");
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM alias"), "");
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM \"alias/\""), "");
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM \"" + fixture("small_sky") + "\""),
            "line 1, column 22: catalog '" + fixture("small_sky") +
                "': only names relative to the catalog root are allowed");
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM \"../root/inside\""),
            "line 1, column 22: catalog '../root/inside': '..' is not allowed in catalog names");
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM small_sky"),
            "line 1, column 22: catalog 'small_sky': resolves outside the catalog root");
  // Off (the CLI's default), the same names work.
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM small_sky", false), "");
  EXPECT_EQ(r.error_of("SELECT COUNT(*) FROM \"" + fixture("small_sky") + "\"", false), "");
}

}  // namespace
