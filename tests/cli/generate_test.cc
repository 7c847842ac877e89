// `astrolake generate`: the files it writes hold exactly what the generators produce, do not
// depend on the thread count, and the Gaia file overlaps the ZTF file of the same seed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "catalog/synthetic.h"
#include "parquet/reader.h"
#include "sky/geometry.h"

using namespace astrolake;
namespace fs = std::filesystem;

namespace {

int run_generate(const std::string& args, std::string* output = nullptr) {
  std::string cmd = std::string(AL_BINARY) + " generate " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("al_generate_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST(CliGenerate, ZtfFileHoldsTheGeneratedRowsWhateverTheThreads) {
  TempDir d;
  std::string a = (d.path / "a.parquet").string(), b = (d.path / "b.parquet").string();
  std::string out;
  ASSERT_EQ(run_generate("ztf --rows 5000 --seed 9 --chunk-rows 700 --threads 1 -q -o " + a, &out), 0) << out;
  ASSERT_EQ(run_generate("ztf --rows 5000 --seed 9 --chunk-rows 700 --threads 4 -q -o " + b, &out), 0) << out;
  EXPECT_EQ(slurp(a), slurp(b)) << "output depends on the thread count";
  EXPECT_EQ(fs::directory_iterator(d.path) != fs::directory_iterator(), true);
  for (auto& e : fs::directory_iterator(d.path))  // no temp files left behind
    EXPECT_EQ(e.path().extension(), ".parquet") << e.path();

  parquet::Table got = parquet::FileReader::open(a)->read();
  parquet::Table want = catalog::ztf_rows(9, 0, 5000);
  ASSERT_EQ(got.rows(), 5000u);
  ASSERT_EQ(got.columns.size(), want.columns.size());
  for (size_t c = 0; c < want.columns.size(); ++c) {
    const auto &g = got.columns[c], &w = want.columns[c];
    SCOPED_TRACE(w.field.name);
    EXPECT_EQ(g.field.name, w.field.name);
    EXPECT_EQ(g.field.type, w.field.type);
    EXPECT_EQ(g.field.list, w.field.list);
    ASSERT_EQ(g.values(), w.values());
    for (size_t r = 0; r < 5000; ++r) ASSERT_EQ(g.is_null(r), w.is_null(r)) << r;
    if (w.field.list) {
      EXPECT_EQ(g.list_offsets, w.list_offsets);
    }
    if (w.field.type == parquet::Type::String) {
      for (size_t i = 0; i < w.values(); ++i) ASSERT_EQ(g.string_at(i), w.string_at(i));
    } else {
      for (size_t i = 0; i < w.values(); ++i)
        if (!w.value_is_null(i)) ASSERT_EQ(g.as_double(i), w.as_double(i)) << "value " << i;
    }
  }
}

TEST(CliGenerate, GaiaOverlapsZtfOfTheSameSeed) {
  TempDir d;
  std::string z = (d.path / "ztf.parquet").string(), g = (d.path / "gaia.parquet").string();
  std::string out;
  ASSERT_EQ(run_generate("ztf --rows 3000 --seed 4 -q -o " + z, &out), 0) << out;
  ASSERT_EQ(run_generate("gaia --rows 10000 --seed 4 --match-ztf-rows 3000 -q -o " + g, &out), 0) << out;
  parquet::Table zt = parquet::FileReader::open(z)->read({"object_id", "ra", "dec"});
  parquet::Table gt = parquet::FileReader::open(g)->read({"ra", "dec", "ztf_object_id"});
  ASSERT_EQ(gt.rows(), 10000u);
  std::map<int64_t, size_t> ztf_row;
  for (size_t i = 0; i < zt.rows(); ++i) ztf_row[zt.columns[0].values_as<int64_t>()[i]] = i;
  size_t matched = 0;
  for (size_t i = 0; i < gt.rows(); ++i) {
    if (gt.columns[2].is_null(i)) continue;
    auto it = ztf_row.find(gt.columns[2].values_as<int64_t>()[i]);
    ASSERT_NE(it, ztf_row.end()) << "Gaia row " << i << " names a ZTF object that does not exist";
    double sep = sky::separation_deg(gt.columns[0].values_as<double>()[i], gt.columns[1].values_as<double>()[i],
                                     zt.columns[1].values_as<double>()[it->second],
                                     zt.columns[2].values_as<double>()[it->second]);
    EXPECT_LT(sep * 3600, 1.0);
    ++matched;
  }
  EXPECT_GT(matched, 1500u);
  EXPECT_LE(matched, 3000u);
}

TEST(CliGenerate, BadArgumentsFailClearly) {
  TempDir d;
  std::string out;
  std::string p = (d.path / "x.parquet").string();
  EXPECT_NE(run_generate("sdss --rows 10 -o " + p, &out), 0);
  EXPECT_NE(out.find("sdss"), std::string::npos) << out;
  EXPECT_NE(run_generate("ztf --rows 10 --match-fraction 0.5 -o " + p, &out), 0);
  EXPECT_NE(out.find("gaia"), std::string::npos) << out;
  EXPECT_NE(run_generate("ztf --rows 10 -o " + (d.path / "no_such_dir" / "x.parquet").string(), &out), 0);
  EXPECT_NE(out.find("no_such_dir"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(p));
  ASSERT_EQ(run_generate("gaia --rows 0 -q -o " + p, &out), 0) << out;
  EXPECT_EQ(parquet::FileReader::open(p)->rows(), 0);
}
