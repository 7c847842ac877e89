// Personal tables (MyDB): each user's HATS catalogs under users/NAME/mydb/TABLE, made by the
// engine's importer (partitioned, with a margin) from an uploaded CSV or Parquet file or a
// query result, listed, described and dropped; in ADQL they are `mydb.TABLE` for their owner
// only (the service passes this root as the `mydb` schema root of the caller's queries).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace astrolake::service {

class MyDb {
 public:
  explicit MyDb(std::string users_dir) : dir_(std::move(users_dir)) {}
  std::string root(const std::string& user) const;  // created when missing

  nlohmann::json list(const std::string& user) const;
  nlohmann::json describe(const std::string& user, const std::string& table) const;  // 404 when missing
  // Imports `input` (.csv or .parquet) as TABLE; 409 when it exists. Returns describe().
  nlohmann::json import(const std::string& user, const std::string& table, const std::string& input,
                        const std::string& ra, const std::string& dec);
  void drop(const std::string& user, const std::string& table);
  double margin_arcsec = 10;

 private:
  std::string dir_;
};

// Throws DaliError(400) unless `name` is 1-64 of [a-z0-9_] starting with a letter.
void check_table_name(const std::string& name);

}  // namespace astrolake::service
