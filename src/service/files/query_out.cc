#include "service/files/query_out.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "service/mydb/mydb.h"
#include "service/tap/error.h"

namespace astrolake::service {

namespace {

bool ends_with(const std::string& s, const char* e) {
  std::string x = e;
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

}  // namespace

void format_for_out(const std::string& out, TapParams& tp) {
  if (out.rfind("mydb://", 0) == 0) {  // a Parquet result, then imported as a personal table
    check_table_name(out.substr(7));
    tp.parquet = true;
    return;
  }
  if (out.rfind("vos://", 0) != 0) throw DaliError(400, "OUT must be a vos:// name, not '" + out + "'");
  tp.parquet = false;
  if (ends_with(out, "/")) tp.parquet = true;  // a HATS directory, imported from Parquet
  else if (ends_with(out, ".csv")) tp.format = votable::Format::Csv;
  else if (ends_with(out, ".tsv")) tp.format = votable::Format::Tsv;
  else if (ends_with(out, ".json")) tp.format = votable::Format::Json;
  else if (ends_with(out, ".vot") || ends_with(out, ".xml")) tp.format = votable::Format::Binary2;
  else if (ends_with(out, ".parquet")) tp.parquet = true;
  else
    throw DaliError(400, "OUT '" + out + "': name a file .csv, .tsv, .json, .vot, .xml or .parquet, or a "
                         "directory ending in '/' for a HATS catalog");
}

Entry write_hats(Storage& storage, const std::string& user, const std::string& out, const std::string& parquet_path,
                 const std::string& ra, const std::string& dec) {
  static std::atomic<uint64_t> counter{0};
  std::string built = storage.tmp_dir(user) + "/hats-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  struct Remove {
    std::string p;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } remove{built};
  std::string leaf = out.substr(0, out.size() - 1);
  leaf = leaf.substr(leaf.rfind('/') + 1);
  import_for_user(parquet_path, built, leaf.empty() ? "result" : leaf, ra, dec, 10,
                  "cannot make a HATS catalog of the result");
  return storage.put_tree(user, out, built);
}

Entry copy_out(Storage& storage, const std::string& user, const std::string& out, const std::string& path) {
  std::unique_ptr<Upload> up = storage.put(user, out);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DaliError(500, "cannot read the result " + path);
  std::string buf(1 << 20, '\0');
  while (in.read(buf.data(), std::streamsize(buf.size())) || in.gcount() > 0) up->write(buf.data(), size_t(in.gcount()));
  return up->commit();
}

Entry write_out(Storage& storage, const std::string& user, const std::string& out, ResultStream& stream,
                const TapParams& tp, const std::string& tmp_dir) {
  if (tp.parquet) {
    static std::atomic<uint64_t> counter{0};
    std::string path = tmp_dir + "/out-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".parquet";
    stream.write_parquet(path);
    struct Remove {
      std::string p;
      ~Remove() {
        std::error_code ec;
        std::filesystem::remove(p, ec);
      }
    } remove{path};
    return copy_out(storage, user, out, path);
  }
  std::unique_ptr<Upload> up = storage.put(user, out);
  std::exception_ptr err;
  stream.write_all([&](const std::string& b) {
    try {
      up->write(b.data(), b.size());
      return true;
    } catch (...) {
      err = std::current_exception();
      return false;
    }
  });
  if (err) std::rethrow_exception(err);
  if (!stream.stream_error().empty()) throw DaliError(400, stream.stream_error());
  return up->commit();
}

}  // namespace astrolake::service
