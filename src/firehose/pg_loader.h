#pragma once

// Loads a staged batch into PostgreSQL with `COPY ... FROM STDIN`, exactly
// once: the COPY and the batch's entry in a progress table commit in one
// transaction, so a batch replayed after a crash (the deliverer's pending
// batch) is recognised and not loaded again.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "firehose/pg_copy.h"

typedef struct pg_conn PGconn;

namespace spate::firehose {

// The progress table, created on first use in the target database:
//   spate_firehose_progress(deliverer_id text PRIMARY KEY,
//                           last_end bigint NOT NULL, batch_id text NOT NULL,
//                           loaded_at timestamptz NOT NULL)
// One row per deliverer: the end offset of the last batch it loaded. Batches
// of one deliverer are loaded in log order, so "end <= last_end" means
// "already loaded".
inline constexpr std::string_view kPgProgressTable = "spate_firehose_progress";

struct PgLoad {
  std::string table;                 // CopyCommand.DataTableName
  std::vector<std::string> columns;  // DataTableColumns; empty: every column
  CopyPlan plan;
  std::string deliverer_id;
  std::string batch_id;
  uint64_t end = 0;       // the batch's end offset in the delivery stream's log
  std::string_view data;  // the staged object, uncompressed
};

struct PgLoadResult {
  bool already_loaded = false;  // a replay: nothing was copied
  uint64_t rows = 0;            // rows COPY reported
};

// One connection to one database, opened on first use and again after any
// failure. Not thread-safe: one deliverer thread uses it.
class PgLoader {
 public:
  // `conninfo`: a libpq connection string (LibpqConnInfo).
  explicit PgLoader(std::string conninfo);
  ~PgLoader();
  PgLoader(const PgLoader&) = delete;
  PgLoader& operator=(const PgLoader&) = delete;

  // BEGIN; lock this deliverer's progress row; if it says the batch is
  // loaded, ROLLBACK and answer already_loaded; else COPY, upsert the row,
  // COMMIT. Errors: kUnavailable for a connection or server failure (worth
  // retrying), kInvalidArgument for what PostgreSQL refused (bad data, a
  // missing table or column: also retried by the deliverer, as Redshift's
  // COPY is, until the retry window ends). `cancel` (may be null) is checked
  // between steps and between chunks of COPY data.
  Result<PgLoadResult> Load(const PgLoad& load, const std::atomic<bool>* cancel);

  // The end offset recorded for `deliverer_id`, or 0 when none (tests).
  Result<uint64_t> LoadedEnd(std::string_view deliverer_id);

 private:
  Status Connect();
  void Disconnect();
  // Runs a statement without COPY; returns the first row's first column ("" if none).
  Result<std::string> Exec(const std::string& sql, const std::vector<std::string>& params = {});
  Result<std::vector<std::string>> TableColumns(const std::string& table);
  Status CopyIn(const std::string& sql, std::string_view data, const std::atomic<bool>* cancel, uint64_t* rows);
  Status Failed(std::string_view what, bool server_refused);

  const std::string conninfo_;
  PGconn* conn_ = nullptr;
  bool progress_table_ready_ = false;
};

}  // namespace spate::firehose
