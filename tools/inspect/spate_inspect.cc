// spate-inspect: prints what a data directory's shard logs hold, read-only:
// per stream instance (group) and shard, the checkpoint, every segment's
// batches (offsets, record counts, arrival times, CRC verdict) and index
// cache entries. See tools/README.md.

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/format.h"
#include "storage/journal.h"
#include "storage/segment.h"
#include "util/crc32c.h"
#include "util/file_system.h"

namespace spate::tools {
namespace {

using storage::BatchScanner;
using storage::FilePos;
using storage::Offset;
using storage::SegmentState;
namespace format = storage::format;

struct Options {
  std::string dir;
  std::string group;  // empty: all
  long shard = -1;    // -1: all
  bool batches = true;
  bool entries = false;
  bool records = false;
};

struct Totals {
  uint64_t segments = 0, batches = 0, records = 0, bad_batches = 0, problems = 0;
};

std::string Iso(int64_t ms) {
  if (ms == INT64_MIN) return "-";
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  if (gmtime_r(&secs, &tm) == nullptr) return std::to_string(ms);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::vector<std::string> SortedNames(util::FileSystem* fs, const std::string& dir) {
  auto names = fs->ListDir(dir);
  if (!names.ok()) return {};
  std::sort(names->begin(), names->end());
  return *names;
}

void PrintState(const char* what, const SegmentState& st, bool entries) {
  std::printf("      %s: segment base %" PRIu64 ", offsets [%" PRIu64 ", %" PRIu64 "), %" PRIu64
              " bytes, last batch at %" PRIu64 ", newest arrival %s, interval %u, %zu entries\n",
              what, st.base_offset.value(), st.base_offset.value(), st.end_offset.value(), st.end_pos,
              st.last_batch_pos, Iso(st.max_arrival_ms).c_str(), st.interval_bytes, st.entries.size());
  if (!entries) return;
  for (const storage::IndexEntry& e : st.entries) {
    std::printf("        entry offset %" PRIu64 " pos %u max_ms_before %s\n",
                (st.base_offset + e.relative_offset).value(), e.pos, Iso(e.max_ms_before).c_str());
  }
}

// Reads a cache/checkpoint file; prints its verdict. Returns true if valid.
bool InspectStateFile(util::FileSystem* fs, const std::string& path, uint32_t magic, uint32_t version, const char* what,
                      const Options& o, SegmentState* st) {
  auto data = util::ReadFileToString(fs, path);
  if (!data.ok()) {
    std::printf("    %s %s: unreadable: %s\n", what, path.c_str(), data.status().message().c_str());
    return false;
  }
  if (!storage::DecodeSegmentState(*data, magic, version, st)) {
    std::printf("    %s %s: INVALID (%zu bytes; bad CRC, magic, version or entries): recovery ignores it\n", what,
                path.c_str(), data->size());
    return false;
  }
  std::printf("    %s %s: valid\n", what, path.c_str());
  PrintState(what, *st, o.entries);
  return true;
}

void InspectSegment(util::FileSystem* fs, const std::string& path, Offset base, const Options& o, Totals* t) {
  auto file = fs->OpenFile(path, util::OpenMode::kRead);
  if (!file.ok()) {
    std::printf("    segment %s: cannot open: %s\n", path.c_str(), file.status().message().c_str());
    ++t->problems;
    return;
  }
  auto file_size = (*file)->Size();
  uint64_t size = file_size.ok() ? *file_size : 0;
  std::printf("    segment %s (base offset %" PRIu64 ", %" PRIu64 " bytes on disk)\n", path.c_str(), base.value(),
              size);
  ++t->segments;
  auto scanner_ptr = std::make_unique<BatchScanner>(file->get(), FilePos{0}, FilePos{size});
  Offset expected = base;
  uint64_t n = 0;
  for (;;) {
    BatchScanner& scanner = *scanner_ptr;
    format::BatchHeader h;
    const char* p = nullptr;
    auto outcome = scanner.Next(&h, &p);
    if (!outcome.ok()) {
      std::printf("      read error at %" PRIu64 ": %s\n", scanner.pos().value, outcome.status().message().c_str());
      ++t->problems;
      return;
    }
    if (*outcome == BatchScanner::Outcome::kEnd) {
      std::printf("      end of data at position %" PRIu64 " (offset %" PRIu64 ", %" PRIu64 " batches)%s\n",
                  scanner.pos().value, expected.value(), n, scanner.pos().value < size ? "; zero-filled after" : "");
      return;
    }
    if (*outcome == BatchScanner::Outcome::kInvalid) {
      std::printf("      INVALID batch header (or batch cut short) at position %" PRIu64 "\n", scanner.pos().value);
      ++t->problems;
      FilePos found;
      auto any = storage::FindValidBatchAfter(file->get(), FilePos{scanner.pos().value + 1}, FilePos{size}, &found, &h);
      if (!any.ok() || !*any) {
        std::printf("      no valid batch after it (a torn tail if it is the active segment)\n");
        return;
      }
      std::printf("      next valid batch at position %" PRIu64 "\n", found.value);
      scanner_ptr = std::make_unique<BatchScanner>(file->get(), found, FilePos{size});
      continue;
    }
    Status v = format::VerifyBatch(p, h);
    ++n;
    ++t->batches;
    t->records += h.record_count;
    if (!v.ok()) ++t->bad_batches;
    bool gap = h.base_offset != expected;
    if (gap) ++t->problems;
    if (o.batches || !v.ok() || gap) {
      std::printf("      batch pos %" PRIu64 " len %u offsets [%" PRIu64 ", %" PRIu64 ") count %u arrival %s (%" PRId64
                  ") committed %" PRIu64 " epoch %" PRId64 " crc %s%s\n",
                  scanner.pos().value, h.length, h.base_offset.value(), (h.base_offset + h.record_count).value(),
                  h.record_count, Iso(h.last_arrival_ms).c_str(), h.last_arrival_ms, h.committed_offset.value(),
                  h.epoch, v.ok() ? "ok" : ("BAD (" + v.message() + ")").c_str(),
                  gap ? (" OFFSET GAP (expected " + std::to_string(expected.value()) + ")").c_str() : "");
    }
    if (o.records && v.ok()) {
      format::ForEachRecord(p, h, [](Offset off, std::string_view key, std::string_view data) {
        std::printf("        record %" PRIu64 " key %.*s data %zu bytes\n", off.value(), static_cast<int>(key.size()),
                    key.data(), data.size());
        return true;
      });
    }
    expected = h.base_offset + h.record_count;
    scanner.Advance(h.length);
  }
}

void InspectShard(util::FileSystem* fs, const std::string& dir, const Options& o, Totals* t) {
  std::printf("  shard %s\n", dir.c_str());
  std::vector<std::pair<Offset, std::string>> segments;
  std::vector<std::string> names = SortedNames(fs, dir);
  for (const std::string& n : names) {
    Offset base;
    if (format::ParseSegmentFileName(n, &base)) segments.emplace_back(base, n);
  }
  std::string cp = dir + "/" + std::string(format::kCheckpointFileName);
  if (fs->Exists(cp)) {
    SegmentState st;
    if (InspectStateFile(fs, cp, format::kCheckpointMagic, format::kCheckpointVersion, "checkpoint", o, &st) &&
        (segments.empty() || segments.back().first != st.base_offset)) {
      std::printf("      (stale: names segment %" PRIu64 ", not the active one; recovery ignores it)\n",
                  st.base_offset.value());
    }
  } else {
    std::printf("    checkpoint: none (recovery scans the whole active segment)\n");
  }
  std::string ep = dir + "/" + std::string(format::kEpochFileName);
  if (fs->Exists(ep)) {
    auto data = util::ReadFileToString(fs, ep);
    if (data.ok() && data->size() == format::kEpochFileSize &&
        format::GetFixed32(data->data()) == format::kEpochFileMagic &&
        format::GetFixed32(data->data() + 4) == format::kEpochFileVersion &&
        format::GetFixed32(data->data() + 16) == util::Extend(0, data->data(), 16)) {
      std::printf("    epoch file: fencing epoch %" PRId64 "\n",
                  static_cast<int64_t>(format::GetFixed64(data->data() + 8)));
    } else {
      std::printf("    epoch file: INVALID (the shard opens failed)\n");
      ++t->problems;
    }
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& [base, name] = segments[i];
    std::string index = dir + "/" + format::IndexFileName(base);
    if (fs->Exists(index)) {
      SegmentState st;
      InspectStateFile(fs, index, format::kIndexMagic, format::kIndexVersion, "index", o, &st);
    } else if (i + 1 < segments.size()) {
      std::printf("    index for %s: none (rebuilt from the log on open)\n", name.c_str());
    }
    InspectSegment(fs, dir + "/" + name, base, o, t);
  }
}

// The commit journal: what a start would replay. Each journaled batch is
// checked like a segment's (header and CRC).
void InspectJournal(util::FileSystem* fs, const Options& o, Totals* t) {
  std::string dir = o.dir + "/" + std::string(format::kJournalDirName);
  if (!fs->Exists(dir)) {
    std::printf("journal: none\n");
    return;
  }
  uint64_t bad = 0;
  auto c = storage::ReadJournal(fs, dir, [&](const storage::Journal::Entry& e) -> Status {
    format::BatchHeader h;
    bool ok = e.bytes.size() >= format::kBatchHeaderSize &&
              format::ParseHeader(e.bytes.data(), &h) == format::HeaderCheck::kOk && h.length == e.bytes.size() &&
              format::VerifyBatch(e.bytes.data(), h).ok();
    if (!ok) ++bad;
    if (o.batches) {
      std::printf(
          "  journaled batch for %.*s at position %" PRIu64 ": %zu bytes, offsets [%" PRIu64 ", %" PRIu64 ") %s\n",
          static_cast<int>(e.path.size()), e.path.data(), e.file_pos, e.bytes.size(), ok ? h.base_offset.value() : 0,
          ok ? (h.base_offset + h.record_count).value() : 0, ok ? "crc ok" : "DAMAGED");
    }
    return Status::Ok();
  });
  if (!c.ok()) {
    std::printf("journal %s: UNREADABLE: %s\n", dir.c_str(), c.status().message().c_str());
    ++t->problems;
    return;
  }
  if (c->current < 0) {
    std::printf("journal %s: no valid header (nothing to replay)\n", dir.c_str());
    return;
  }
  std::printf("journal %s: current file %s%d, generation %" PRIu64 ": %" PRIu64 " records, %" PRIu64
              " batches a start would replay; scan ends at byte %" PRIu64 " (%s)%s\n",
              dir.c_str(), std::string(format::kJournalFilePrefix).c_str(), c->current, c->generation, c->records,
              c->entries, c->end_pos, c->stop.c_str(), bad > 0 ? "; DAMAGED batches inside" : "");
  t->bad_batches += bad;
}

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: spate-inspect [--summary] [--entries] [--records] DATA_DIR [GROUP [SHARD]]\n"
               "  DATA_DIR  spated's --data-dir (or its streams/ directory)\n"
               "  --summary only damaged batches and per-segment totals\n"
               "  --entries also the sparse index entries of index files and checkpoints\n"
               "  --records also each record's offset, key and size\n"
               "Exit status: 0 if every batch verifies, 1 on usage errors, 2 if damage was found.\n");
}

int Main(int argc, char** argv) {
  Options o;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--summary") {
      o.batches = false;
    } else if (a == "--entries") {
      o.entries = true;
    } else if (a == "--records") {
      o.records = true;
    } else if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else if (a.substr(0, 2) == "--") {
      Usage(stderr);
      return 1;
    } else {
      positional.emplace_back(a);
    }
  }
  if (positional.empty() || positional.size() > 3) {
    Usage(stderr);
    return 1;
  }
  util::FileSystem* fs = util::PosixFileSystem();
  o.dir = positional[0];
  if (fs->Exists(o.dir + "/streams")) o.dir += "/streams";
  if (positional.size() > 1) o.group = positional[1];
  if (positional.size() > 2) o.shard = std::stol(positional[2]);
  Totals t;
  InspectJournal(fs, o, &t);
  for (const std::string& g : SortedNames(fs, o.dir)) {
    if (g.empty() || g[0] == '.' || (!o.group.empty() && g != o.group)) continue;
    auto is_dir = fs->IsDirectory(o.dir + "/" + g);
    if (!is_dir.ok() || !*is_dir) continue;
    std::printf("group %s\n", g.c_str());
    for (const std::string& s : SortedNames(fs, o.dir + "/" + g)) {
      if (s.size() != format::kShardDirDigits) continue;
      if (o.shard >= 0 && std::stol(s) != o.shard) continue;
      InspectShard(fs, o.dir + "/" + g + "/" + s, o, &t);
    }
  }
  std::printf("total: %" PRIu64 " segments, %" PRIu64 " batches, %" PRIu64 " records, %" PRIu64
              " batches failing their CRC, %" PRIu64 " other problems\n",
              t.segments, t.batches, t.records, t.bad_batches, t.problems);
  return t.bad_batches + t.problems > 0 ? 2 : 0;
}

}  // namespace
}  // namespace spate::tools

int main(int argc, char** argv) { return spate::tools::Main(argc, argv); }
