// OUT=vos://... on TAP queries: the result goes into the caller's storage instead of the
// response. The format follows the name: .csv, .tsv, .json, .vot/.xml (VOTable), .parquet.
// mydb://NAME asks for Parquet (the service then imports it as a personal table).
// A name ending in '/' asks for Parquet too, then a HATS catalog of it (write_hats).
#pragma once
#include <string>

#include "service/files/storage.h"
#include "service/tap/query.h"

namespace astrolake::service {

// Sets the result format in `tp` from the OUT name; throws DaliError(400) for an unsupported one.
void format_for_out(const std::string& out, TapParams& tp);
// Writes a result into storage as `out` for `user`, atomically; `tmp_dir` holds the Parquet
// file while it is written. Returns the stored file's entry.
Entry write_out(Storage& storage, const std::string& user, const std::string& out, ResultStream& stream,
                const TapParams& tp, const std::string& tmp_dir);
// Imports a Parquet result as a HATS catalog (RA/Dec columns `ra`, `dec`) and moves it into
// storage as the directory `out` (ending in '/').
Entry write_hats(Storage& storage, const std::string& user, const std::string& out, const std::string& parquet_path,
                 const std::string& ra, const std::string& dec);
// Copies a finished result file into storage as `out` (async jobs).
Entry copy_out(Storage& storage, const std::string& user, const std::string& out, const std::string& path);

}  // namespace astrolake::service
