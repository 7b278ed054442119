#pragma once

// The pure pieces of the Redshift destination's delivery into PostgreSQL:
// reading a ClusterJDBCURL, translating Redshift's COPY options into
// PostgreSQL's, and turning a staged object into what PostgreSQL's
// `COPY ... FROM STDIN` reads. No I/O; safe from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::firehose {

// Where a ClusterJDBCURL points: jdbc:redshift://HOST:PORT/DB or
// jdbc:postgresql://HOST:PORT/DB (the service model's pattern; the front door
// has checked it).
struct JdbcTarget {
  std::string scheme;  // "redshift" or "postgresql"
  std::string host;
  int port = 0;
  std::string database;
};

// kInvalidArgument for a URL that is not jdbc:(redshift|postgresql)://host:port/db
// with a port in 1-65535 (query strings and user info are refused: the
// model's pattern allows neither).
Result<JdbcTarget> ParseJdbcUrl(std::string_view url);

// A libpq connection string for `target`: host, port, dbname, user, password,
// and hostaddr when `host_address` is not empty (the address to connect to
// without resolving `host`, which libpq keeps for its messages and TLS).
// Every value is quoted as libpq wants ('...' with \' and \\).
std::string LibpqConnInfo(const JdbcTarget& target, std::string_view user, std::string_view password,
                          std::string_view host_address, int connect_timeout_s);

// Redshift's COPY options (CopyCommand.CopyOptions) as PostgreSQL's COPY
// reads them. Supported, case-insensitive, in any order, each at most once:
//   DELIMITER [AS] 'c'    one byte; default '|' (Redshift's), ',' with CSV
//   CSV [QUOTE [AS] 'c']  PostgreSQL's CSV format, QUOTE default '"'
//   JSON [AS] 'auto' | 'auto ignorecase'
//                         a stream of JSON objects, members matched to the
//                         columns by name (case-sensitively, or not)
//   NULL [AS] 's'         the null string (default '\N' in text, '' in CSV)
//   ESCAPE                a backslash escapes the next character (text only);
//                         without it backslashes are data, as in Redshift
//   IGNOREHEADER [AS] n   n = 0 or 1 (one object is one file)
//   GZIP                  the staged object is GZIP (CompressionFormat GZIP)
//   DATEFORMAT / TIMEFORMAT [AS] 'auto'
//                         PostgreSQL's own date/time input reading
//   COMPUPDATE / STATUPDATE [ON|OFF|TRUE|FALSE]
//                         Redshift-internal, nothing to do here
// Anything else (MAXERROR, MANIFEST, FIXEDWIDTH, AVRO, EMPTYASNULL, ...) is
// refused with kInvalidArgument naming it.
struct CopyPlan {
  enum class Format { kText, kCsv, kJson };
  Format format = Format::kText;
  char delimiter = '|';
  char quote = '"';
  std::optional<std::string> null_string;  // as the user wrote it
  bool escape = false;
  bool header = false;
  bool gzip = false;
  bool json_ignore_case = false;
};
Result<CopyPlan> ParseCopyOptions(std::string_view copy_options);

// DataTableColumns "a, b ,c" -> {"a","b","c"}; empty -> {} (every column).
// kInvalidArgument for an empty name between commas.
Result<std::vector<std::string>> ParseColumnList(std::string_view columns);

// "schema.table" or "table" quoted as PostgreSQL identifiers
// ("\"schema\".\"table\""); a name already in double quotes is kept as is.
std::string QuoteQualifiedName(std::string_view name);
std::string QuoteIdentifier(std::string_view name);
// A PostgreSQL string literal: E'...' with ' and \ escaped.
std::string QuoteLiteral(std::string_view s);

// The statement: COPY <table> [(<columns>)] FROM STDIN WITH (<options>).
// JSON is loaded as text after ToCopyInput has converted it.
std::string CopySql(std::string_view table, const std::vector<std::string>& columns, const CopyPlan& plan);

// The staged object (uncompressed) as PostgreSQL's COPY reads it under
// CopySql(plan): text without ESCAPE has its backslashes doubled (Redshift
// reads them as data); JSON 'auto' becomes text rows, one per object, of
// `columns` in order (a missing member or JSON null is NULL; strings as
// they are, other values as their JSON text). kInvalidArgument for JSON that
// does not parse (the COPY would fail the same way on Redshift).
Result<std::string> ToCopyInput(std::string_view data, const CopyPlan& plan, const std::vector<std::string>& columns);

}  // namespace spate::firehose
