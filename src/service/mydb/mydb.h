// Personal tables (MyDB): each user's HATS catalogs under users/NAME/mydb/TABLE, made by the
// engine's importer (partitioned, with a margin) from an uploaded CSV or Parquet file or a
// query result, listed, described and dropped; in ADQL they are `mydb.TABLE` for their owner
// only (the service passes this root as the `mydb` schema root of the caller's queries).
// Tables count against the owner's storage quota: an import that does not fit is refused
// (413) and leaves nothing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/files/storage.h"

namespace astrolake::service {

// Imports `input` (a result or an upload) as a HATS catalog at `output` the way the service does
// for its users: one thread, a 512 MiB budget, no progress; an import error is a 400 whose
// message begins with `what`.
void import_for_user(const std::string& input, const std::string& output, const std::string& name,
                     const std::string& ra, const std::string& dec, double margin_arcsec, const std::string& what);

class MyDb {
 public:
  MyDb(std::string users_dir, Storage& storage) : dir_(std::move(users_dir)), storage_(storage) {}
  std::string root(const std::string& user) const;  // created when missing

  nlohmann::json list(const std::string& user) const;
  nlohmann::json describe(const std::string& user, const std::string& table) const;  // 404 when missing
  // Imports `input` (.csv or .parquet) as TABLE; 409 when it exists, 413 when it does not fit
  // in the quota. Returns describe().
  nlohmann::json import(const std::string& user, const std::string& table, const std::string& input,
                        const std::string& ra, const std::string& dec);
  void drop(const std::string& user, const std::string& table);
  double margin_arcsec = 10;

 private:
  std::string dir_;
  Storage& storage_;
};

// Throws unless `name` is 1-64 of [a-z0-9_] starting with a letter: DaliError(403) for a name
// shaped like a path ('.', '/', '%', ...), else 400.
void check_table_name(const std::string& name);

}  // namespace astrolake::service
