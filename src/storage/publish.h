// Publishing a directory built on local disk to its destination (another local directory, or
// an s3:// prefix) so that readers never see half of it: every data file first, then the
// commit files (a catalog's properties) last, deepest first.
#pragma once
#include <string>
#include <vector>

namespace astrolake::storage {

// True when dest holds any of the commit files (at its top level).
bool is_published(const std::string& dest, const std::vector<std::string>& commit_names);

// Copies local_dir to dest. Anything already at dest is removed first, its commit files before
// the rest, so an interrupted earlier publish (data objects without properties) is cleaned up
// and a reader of an overwritten catalog sees either the old one or nothing, never a mix.
// Throws IoError when dest is already published and !overwrite.
void publish_tree(const std::string& local_dir, const std::string& dest, const std::vector<std::string>& commit_names,
                  bool overwrite);

}  // namespace astrolake::storage
