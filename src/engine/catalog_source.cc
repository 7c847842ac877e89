// ScanSource over an opened HATS catalog: each partition's files opened with FileReader.
#include <stdexcept>

#include "catalog/catalog.h"
#include "engine/column_ops.h"
#include "engine/scan.h"

namespace astrolake::engine {

namespace {

class FileSetReader : public PartitionReader {
 public:
  FileSetReader(const catalog::Catalog& cat, const catalog::Partition& part) {
    const std::vector<Field>& schema = cat.schema();
    for (const auto& path : part.files) {
      auto r = cat.file_reader(path);  // footers parsed once per catalog, leaf checked
      const auto& fs = r->schema();
      for (int g = 0; g < r->row_groups(); g++) {
        const parquet::RowGroupInfo& src = r->row_group(g);
        parquet::RowGroupInfo rg = src;
        rg.file_path = path;  // which file the row group lies in (estimate_scan groups by it)
        rg.stats.assign(schema.size(), parquet::ColumnStats());
        rg.ranges.assign(schema.size(), {0, 0});
        // Align statistics by name: a file may order or subset columns differently.
        for (size_t k = 0; k < schema.size(); k++)
          for (size_t j = 0; j < fs.size() && j < src.stats.size(); j++)
            if (fs[j].name == schema[k].name) {
              rg.stats[k] = src.stats[j];
              if (j < src.ranges.size()) rg.ranges[k] = src.ranges[j];
            }
        info_.push_back(std::move(rg));
        where_.push_back({readers_.size(), g});
      }
      readers_.push_back(std::move(r));
    }
  }
  const std::vector<parquet::RowGroupInfo>& row_groups() const override { return info_; }
  Table read(size_t rg, const std::vector<std::string>& columns) override {
    auto [file, g] = where_.at(rg);
    return readers_[file]->read_row_group(g, columns);
  }

 private:
  std::vector<std::shared_ptr<const parquet::FileReader>> readers_;
  std::vector<parquet::RowGroupInfo> info_;
  std::vector<std::pair<size_t, int>> where_;
};

class CatalogSource : public ScanSource {
 public:
  explicit CatalogSource(std::shared_ptr<const catalog::Catalog> cat) : cat_(std::move(cat)) {}
  const std::vector<Field>& schema() const override { return cat_->schema(); }
  const std::vector<catalog::Partition>& partitions() const override { return cat_->partitions(); }
  std::unique_ptr<PartitionReader> open(size_t i) const override {
    const auto& parts = cat_->partitions();
    if (i >= parts.size())
      throw std::out_of_range("catalog " + cat_->dir() + ": no partition " + std::to_string(i));
    return std::make_unique<FileSetReader>(*cat_, parts[i]);
  }

 private:
  std::shared_ptr<const catalog::Catalog> cat_;
};

}  // namespace

std::shared_ptr<const ScanSource> catalog_source(std::shared_ptr<const catalog::Catalog> cat) {
  return std::make_shared<CatalogSource>(std::move(cat));
}

}  // namespace astrolake::engine
