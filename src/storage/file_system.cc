#include "storage/file_system.h"

namespace astrolake::storage {

void FileSystem::write_file(const std::string& path, std::span<const uint8_t> bytes) {
  auto f = create(path);
  f->append(bytes);
  f->commit();
}

void FileSystem::write_file(const std::string& path, const std::string& text) {
  write_file(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::string FileSystem::read_file(const std::string& path) {
  auto src = open(path);
  std::string out(src->size(), '\0');
  src->read(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

bool is_url(const std::string& path) {
  return path.rfind("s3://", 0) == 0 || path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string base_name(const std::string& path) {
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;
  size_t slash = path.rfind('/', end - 1);
  size_t start = slash == std::string::npos ? 0 : slash + 1;
  return path.substr(start, end - start);
}

std::shared_ptr<FileSystem> file_system_for(const std::string& path) {
  if (path.rfind("s3://", 0) == 0) return s3_file_system();
  if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0) return http_file_system();
  return local_file_system();
}

std::shared_ptr<ByteSource> open(const std::string& path) { return file_system_for(path)->open(path); }

bool exists(const std::string& path) { return file_system_for(path)->stat(path).has_value(); }

}  // namespace astrolake::storage
