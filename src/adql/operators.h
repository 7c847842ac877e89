// Two small operators the planner needs on top of the engine's:
//  - PushSource turns a push-style engine job (spatial_search, crossmatch: they call a sink
//    with each result table) into a pull-style Operator, by running the job on its own thread
//    and handing tables over through a small bounded queue. Destroying it early (a LIMIT was
//    satisfied) or a QueryContext cancel/limit stops the job at its next table; a job may also
//    call the sink with an empty table just to be stopped there.
//  - Rename gives a child's columns new names without copying them (the planner's internal
//    column names, which keep the columns of joined tables apart).
#pragma once
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "engine/operator.h"

namespace astrolake::adql {

class PushSource : public engine::Operator {
 public:
  using Sink = std::function<void(parquet::Table&&)>;
  using Job = std::function<void(const Sink&)>;

  PushSource(std::vector<parquet::Field> schema, Job job, engine::QueryContext* ctx = nullptr,
             size_t max_queued = 4);
  ~PushSource() override;
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  void run();
  std::vector<parquet::Field> schema_;
  Job job_;
  engine::QueryContext* ctx_;
  size_t max_queued_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<parquet::Table> queue_;
  bool started_ = false, finished_ = false, stop_ = false, emitted_ = false;
  std::exception_ptr error_;
};

// Splits its child's batches into pieces of at most `rows` rows. Put on the probe side of a
// cross join so one output batch stays about one normal batch instead of (batch x build side).
class Rebatch : public engine::Operator {
 public:
  Rebatch(engine::OperatorPtr child, size_t rows) : child_(std::move(child)), rows_(rows ? rows : 1) {}
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return child_->schema(); }

 private:
  engine::OperatorPtr child_;
  size_t rows_;
  std::optional<parquet::Table> cur_;
  size_t pos_ = 0;
};

class Rename : public engine::Operator {
 public:
  Rename(engine::OperatorPtr child, std::vector<std::string> names);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  engine::OperatorPtr child_;
  std::vector<parquet::Field> schema_;
};

}  // namespace astrolake::adql
