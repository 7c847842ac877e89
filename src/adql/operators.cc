#include "adql/operators.h"

#include <algorithm>
#include <stdexcept>

#include "engine/column_ops.h"

namespace astrolake::adql {

namespace {
// Thrown into the job by the sink when the consumer went away; swallowed by run().
struct Stopped {};
}  // namespace

PushSource::PushSource(std::vector<parquet::Field> schema, Job job, engine::QueryContext* ctx, size_t max_queued)
    : schema_(std::move(schema)), job_(std::move(job)), ctx_(ctx), max_queued_(max_queued ? max_queued : 1) {}

PushSource::~PushSource() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PushSource::run() {
  Sink sink = [this](parquet::Table&& t) {
    if (ctx_) ctx_->check();
    std::unique_lock<std::mutex> lock(mu_);
    if (t.rows() == 0) {  // a poll: lets a long job notice a cancel or a consumer that left
      if (stop_) throw Stopped{};
      return;
    }
    cv_.wait(lock, [&] { return stop_ || queue_.size() < max_queued_; });
    if (stop_) throw Stopped{};
    queue_.push_back(std::move(t));
    cv_.notify_all();
  };
  std::exception_ptr err;
  try {
    job_(sink);
  } catch (const Stopped&) {
  } catch (...) {
    err = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mu_);
  error_ = err;
  finished_ = true;
  cv_.notify_all();
}

std::optional<parquet::Table> PushSource::next() {
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { run(); });
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || finished_; });
  if (!queue_.empty()) {
    parquet::Table t = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    emitted_ = true;
    // The job names columns its own way; the schema given at construction is authoritative.
    for (size_t i = 0; i < t.columns.size() && i < schema_.size(); i++) t.columns[i].field.name = schema_[i].name;
    return t;
  }
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
  if (!emitted_) {
    emitted_ = true;
    return engine::empty_table(schema_);
  }
  return std::nullopt;
}

std::optional<parquet::Table> Rebatch::next() {
  while (!cur_ || pos_ >= cur_->rows()) {
    cur_ = child_->next();
    pos_ = 0;
    if (!cur_) return std::nullopt;
    if (cur_->rows() == 0) {  // an empty result's only batch passes through
      std::optional<parquet::Table> t = std::move(cur_);
      cur_.reset();
      return t;
    }
  }
  if (pos_ == 0 && cur_->rows() <= rows_) {
    pos_ = cur_->rows();
    return std::move(*cur_);
  }
  size_t n = std::min(rows_, cur_->rows() - pos_);
  parquet::Table t = engine::slice(*cur_, pos_, n);
  pos_ += n;
  return t;
}

Rename::Rename(engine::OperatorPtr child, std::vector<std::string> names) : child_(std::move(child)) {
  schema_ = child_->schema();
  if (names.size() != schema_.size()) throw std::logic_error("Rename: name count does not match the columns");
  for (size_t i = 0; i < names.size(); i++) schema_[i].name = names[i];
}

std::optional<parquet::Table> Rename::next() {
  std::optional<parquet::Table> t = child_->next();
  if (!t) return t;
  for (size_t i = 0; i < t->columns.size() && i < schema_.size(); i++) t->columns[i].field.name = schema_[i].name;
  return t;
}

}  // namespace astrolake::adql
