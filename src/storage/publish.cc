#include "storage/publish.h"

#include <algorithm>
#include <filesystem>

#include "storage/file_system.h"

namespace astrolake::storage {

bool is_published(const std::string& dest, const std::vector<std::string>& commit_names) {
  auto dfs = file_system_for(dest);
  for (const auto& n : commit_names)
    if (dfs->stat(join_path(dest, n))) return true;
  return false;
}

void publish_tree(const std::string& local_dir, const std::string& dest, const std::vector<std::string>& commit_names,
                  bool overwrite) {
  namespace fs = std::filesystem;
  auto dfs = file_system_for(dest);
  if (is_published(dest, commit_names)) {
    if (!overwrite) throw IoError(dest + " already exists (use --overwrite to replace it)");
    for (const auto& n : commit_names) dfs->remove(join_path(dest, n));  // un-publish first
  }
  dfs->remove_all(dest);  // leftovers of an interrupted publish, or the replaced catalog
  std::vector<std::string> data, commits;
  for (const auto& e : fs::recursive_directory_iterator(local_dir)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), local_dir).generic_string();
    bool commit = std::find(commit_names.begin(), commit_names.end(), e.path().filename().string()) != commit_names.end();
    (commit ? commits : data).push_back(rel);
  }
  std::sort(data.begin(), data.end());
  // Deepest first: a collection's member catalogs are complete before the collection is.
  std::sort(commits.begin(), commits.end(), [](const std::string& a, const std::string& b) {
    auto depth = [](const std::string& s) { return std::count(s.begin(), s.end(), '/'); };
    return depth(a) != depth(b) ? depth(a) > depth(b) : a < b;
  });
  auto lfs = local_file_system();
  for (const auto* list : {&data, &commits})
    for (const std::string& rel : *list) {
      auto src = lfs->open(join_path(local_dir, rel));
      auto out = dfs->create(join_path(dest, rel));
      std::vector<uint8_t> buf(std::min<uint64_t>(src->size(), 8 << 20));
      for (uint64_t off = 0; off < src->size(); off += buf.size()) {
        size_t n = size_t(std::min<uint64_t>(buf.size(), src->size() - off));
        src->read(off, std::span<uint8_t>(buf.data(), n));
        out->append(std::span<const uint8_t>(buf.data(), n));
      }
      out->commit();
    }
}

}  // namespace astrolake::storage
