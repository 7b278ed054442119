#include "firehose/pg_loader.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <memory>

namespace spate::firehose {
namespace {

// COPY data goes to the server in pieces this large, `cancel` checked between.
constexpr size_t kCopyChunkBytes = 256u << 10;

std::string ErrorText(PGconn* conn, PGresult* res) {
  std::string msg = res != nullptr ? PQresultErrorMessage(res) : "";
  if (msg.empty() && conn != nullptr) msg = PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

// SQLSTATE classes worth a new connection and a retry rather than a refusal
// of what was sent: connection exceptions, resources, operator intervention
// (shutdown), transaction rollbacks (serialization, deadlock), system errors.
bool Transient(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return true;  // no SQLSTATE: the connection failed
  std::string_view cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "53" || cls == "57" || cls == "40" || cls == "58" || cls == "XX";
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

}  // namespace

PgLoader::PgLoader(std::string conninfo) : conninfo_(std::move(conninfo)) {}

PgLoader::~PgLoader() { Disconnect(); }

void PgLoader::Disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

Status PgLoader::Connect() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  Disconnect();
  conn_ = PQconnectdb(conninfo_.c_str());
  if (conn_ == nullptr) return Unavailable("PostgreSQL: out of memory for a connection");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = ErrorText(conn_, nullptr);
    Disconnect();
    return Unavailable("PostgreSQL connection failed: " + msg);
  }
  return Status::Ok();
}

Status PgLoader::Failed(std::string_view what, bool server_refused) {
  std::string msg = "PostgreSQL " + std::string(what);
  if (!server_refused) {
    // The connection is in an unknown state: drop it, the next attempt reconnects.
    Disconnect();
    return Unavailable(msg);
  }
  return InvalidArgument(msg);
}

Result<std::string> PgLoader::Exec(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  ResultPtr res(
      PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = ErrorText(conn_, res.get());
    bool transient = Transient(state != nullptr ? state : "") || PQstatus(conn_) != CONNECTION_OK;
    if (!transient) {
      // Leave the connection usable for the next attempt.
      ResultPtr rb(PQexec(conn_, "ROLLBACK"));
    }
    return Failed(msg + " (in: " + sql.substr(0, 80) + ")", !transient);
  }
  if (st == PGRES_TUPLES_OK && PQntuples(res.get()) > 0 && PQnfields(res.get()) > 0) {
    return std::string(PQgetvalue(res.get(), 0, 0));
  }
  return std::string();
}

Result<std::vector<std::string>> PgLoader::TableColumns(const std::string& table) {
  std::string sql =
      "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped "
      "ORDER BY attnum";
  const char* values[] = {table.c_str()};
  ResultPtr res(PQexecParams(conn_, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0));
  if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    bool transient = Transient(state != nullptr ? state : "") || PQstatus(conn_) != CONNECTION_OK;
    std::string msg = ErrorText(conn_, res.get());
    if (!transient) ResultPtr rb(PQexec(conn_, "ROLLBACK"));
    return Failed(msg, !transient);
  }
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(res.get()); ++i) out.emplace_back(PQgetvalue(res.get(), i, 0));
  return out;
}

Status PgLoader::CopyIn(const std::string& sql, std::string_view data, const std::atomic<bool>* cancel,
                        uint64_t* rows) {
  ResultPtr res(PQexec(conn_, sql.c_str()));
  if (!res || PQresultStatus(res.get()) != PGRES_COPY_IN) {
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    bool transient = Transient(state != nullptr ? state : "") || PQstatus(conn_) != CONNECTION_OK;
    std::string msg = ErrorText(conn_, res.get());
    if (!transient) ResultPtr rb(PQexec(conn_, "ROLLBACK"));
    return Failed(msg, !transient);
  }
  bool cancelled = false;
  for (size_t off = 0; off < data.size(); off += kCopyChunkBytes) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      cancelled = true;
      break;
    }
    size_t n = std::min(kCopyChunkBytes, data.size() - off);
    if (PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) != 1) {
      return Failed("COPY data could not be sent: " + ErrorText(conn_, nullptr), false);
    }
  }
  if (PQputCopyEnd(conn_, cancelled ? "cancelled" : nullptr) != 1) {
    return Failed("COPY end could not be sent: " + ErrorText(conn_, nullptr), false);
  }
  ResultPtr end(PQgetResult(conn_));
  // Drain: libpq wants PQgetResult called until it answers null.
  while (ResultPtr more{PQgetResult(conn_)}) {
  }
  if (cancelled) return Failed("COPY cancelled", false);
  if (!end || PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
    const char* state = end ? PQresultErrorField(end.get(), PG_DIAG_SQLSTATE) : nullptr;
    bool transient = Transient(state != nullptr ? state : "") || PQstatus(conn_) != CONNECTION_OK;
    std::string msg = ErrorText(conn_, end.get());
    if (!transient) ResultPtr rb(PQexec(conn_, "ROLLBACK"));
    return Failed("COPY failed: " + msg, !transient);
  }
  const char* tuples = PQcmdTuples(end.get());
  uint64_t n = 0;
  std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), n);
  *rows = n;
  return Status::Ok();
}

Result<PgLoadResult> PgLoader::Load(const PgLoad& load, const std::atomic<bool>* cancel) {
  auto cancelled = [&] { return cancel != nullptr && cancel->load(std::memory_order_relaxed); };
  SPATE_TRY(Connect());
  if (!progress_table_ready_) {
    // IF NOT EXISTS can still race another creator (unique violation): the
    // attempt fails and is retried, by then the table exists.
    SPATE_ASSIGN_OR_RETURN(std::string ignored,
                           Exec("CREATE TABLE IF NOT EXISTS " + std::string(kPgProgressTable) +
                                " (deliverer_id text PRIMARY KEY, last_end bigint NOT NULL, "
                                "batch_id text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())"));
    (void)ignored;
    progress_table_ready_ = true;
  }
  if (cancelled()) return Unavailable("cancelled");
  SPATE_ASSIGN_OR_RETURN(std::string begun, Exec("BEGIN"));
  (void)begun;
  // The row lock serialises two loaders of one deliverer (a stale spated and
  // its successor): the second waits and then sees the first's progress.
  SPATE_ASSIGN_OR_RETURN(std::string ins, Exec("INSERT INTO " + std::string(kPgProgressTable) +
                                                   " (deliverer_id, last_end, batch_id) VALUES ($1, 0, '') "
                                                   "ON CONFLICT (deliverer_id) DO NOTHING",
                                               {load.deliverer_id}));
  (void)ins;
  SPATE_ASSIGN_OR_RETURN(std::string last_end_text, Exec("SELECT last_end FROM " + std::string(kPgProgressTable) +
                                                             " WHERE deliverer_id = $1 FOR UPDATE",
                                                         {load.deliverer_id}));
  uint64_t last_end = 0;
  std::from_chars(last_end_text.data(), last_end_text.data() + last_end_text.size(), last_end);
  PgLoadResult result;
  if (load.end <= last_end) {
    SPATE_ASSIGN_OR_RETURN(std::string rb, Exec("ROLLBACK"));
    (void)rb;
    result.already_loaded = true;
    return result;
  }
  std::vector<std::string> columns = load.columns;
  if (load.plan.format == CopyPlan::Format::kJson && columns.empty()) {
    SPATE_ASSIGN_OR_RETURN(columns, TableColumns(QuoteQualifiedName(load.table)));
  }
  auto input = ToCopyInput(load.data, load.plan, columns);
  if (!input.ok()) {
    ResultPtr rb(PQexec(conn_, "ROLLBACK"));
    return input.status();
  }
  if (cancelled()) {
    ResultPtr rb(PQexec(conn_, "ROLLBACK"));
    return Unavailable("cancelled");
  }
  SPATE_TRY(CopyIn(CopySql(load.table, columns, load.plan), *input, cancel, &result.rows));
  SPATE_ASSIGN_OR_RETURN(std::string up, Exec("UPDATE " + std::string(kPgProgressTable) +
                                                  " SET last_end = $2, batch_id = $3, loaded_at = now() "
                                                  "WHERE deliverer_id = $1",
                                              {load.deliverer_id, std::to_string(load.end), load.batch_id}));
  (void)up;
  // A failed COMMIT leaves the outcome unknown only if the connection broke
  // after the server committed; the replay then finds the progress row.
  SPATE_ASSIGN_OR_RETURN(std::string committed, Exec("COMMIT"));
  (void)committed;
  return result;
}

Result<uint64_t> PgLoader::LoadedEnd(std::string_view deliverer_id) {
  SPATE_TRY(Connect());
  SPATE_ASSIGN_OR_RETURN(std::string v,
                         Exec("SELECT last_end FROM " + std::string(kPgProgressTable) + " WHERE deliverer_id = $1",
                              {std::string(deliverer_id)}));
  uint64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

}  // namespace spate::firehose
