// The write side of local storage: one set of rules for where every writer (CSV, Parquet,
// FITS, PNG, catalogs) may put its output, so that no writer ever replaces something that is
// not a regular file, and every short write becomes an error.
//
//  - A missing path or a regular file is written atomically: to `<path>.tmp-<pid>` beside it,
//    then renamed over it (publish_file), which refuses when the path has meanwhile become
//    anything but a regular file.
//  - A FIFO or a character device (a pipe, /dev/null, a terminal) is a *stream*: written in
//    place, never replaced; only formats written front to back can go there. A symbolic link
//    is followed only to a stream; a link to a file or directory is refused, never replaced.
//  - "-" names standard output, a stream.
//  - Anything else (block device, socket) is refused.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "storage/source.h"

namespace astrolake::storage {

// Writing to a pipe or socket whose reader has gone (EPIPE). The CLI stops quietly on it.
class BrokenPipe : public IoError {
 public:
  using IoError::IoError;
};

enum class TargetKind { Missing, Regular, Directory, Stream };

// What `path` is, by the rules above. Throws IoError naming the path for a symlink that does
// not end at a stream, a block device, a socket, or an lstat failure other than ENOENT.
TargetKind output_target(const std::string& path);

// Opens a stream target for writing (no create, no truncate); "-" is a dup of standard
// output. Returns the descriptor; throws IoError.
int open_stream(const std::string& path);

// Writes every byte or throws (BrokenPipe for EPIPE, IoError otherwise) naming `name`.
void write_all(int fd, const void* data, size_t n, const std::string& name);

// "<path>.tmp-<pid>": the temporary name writers use beside their output.
std::string temp_path(const std::string& path);

// fsyncs `tmp`, renames it over `path` and fsyncs the directory. Refuses (removing tmp) when
// `path` exists and is not a regular file. Throws IoError.
void publish_file(const std::string& tmp, const std::string& path);

// Removes what a killed process left beside `path` (`<path>.tmp-<pid>[...]`,
// `<path>.building-<pid>`, `<path>.replaced-<pid>`) when that process is no longer running.
// Returns one line per leftover: what was removed, or left alone because its process runs.
std::vector<std::string> clean_leftovers(const std::string& path);

}  // namespace astrolake::storage
