#pragma once

// Every constant of the shard-log on-disk format, in one place
// (STYLE.md rule 9). The byte layout is specified in
// docs/formats/shard_log.md; keep the two in step.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/shard_index.h"
#include "storage/shard_log.h"

namespace spate::storage {
class KeyStore;
}

namespace spate::storage::format {

static_assert(std::endian::native == std::endian::little, "the encoders assume a little-endian host");

// ---- Batch (one Append call) ----------------------------------------------
//
//  0  u32 magic            kBatchMagic
//  4  u32 batch_length     whole batch in bytes, header included
//  8  u32 crc32c           CRC32C of bytes [12, batch_length)
// 12  u8  version          kBatchVersion
// 13  u8  flags            kFlagEncrypted or 0 (other bits reserved, must be 0)
// 14  u16 header_length    kBatchHeaderSize
// 16  u64 base_offset      offset of the first record
// 24  u64 committed_offset shard's acknowledged end offset when the batch was built
// 32  u32 record_count     >= 1
// 36  u32 reserved         0
// 40  i64 first_arrival_ms
// 48  i64 last_arrival_ms
// version 1: 56  records: record_count x { varint32 key_len, key, varint32 data_len, data }
// version 2: 56  i64 epoch  the fencing epoch the batch was appended under (> 0)
//            64  records, as in version 1
// A batch appended under epoch 0 (a single node) is written as version 1,
// byte for byte as before; any other as version 2. Both are read.
inline constexpr uint32_t kBatchMagic = 0x424C5053;  // "SPLB" in file byte order
inline constexpr uint8_t kBatchVersion = 1;
inline constexpr uint8_t kBatchVersionEpoch = 2;
// The fixed prefix every version shares (and version 1's whole header):
// enough to parse a batch's length and header length.
inline constexpr size_t kBatchHeaderSize = 56;
inline constexpr size_t kBatchHeaderSizeEpoch = 64;
inline constexpr size_t kEpochPos = 56;
inline constexpr size_t kCrcCoveredFrom = 12;  // the CRC covers everything after its own field
// The records are sealed with AES-256-GCM; the record area (from the header
// length: 56 in version 1, 64 in version 2) then holds, at these positions
// in a version 1 batch (8 bytes later in version 2):
//   56  u32 key_ref       the master key's number in the KeyStore
//   60  u8[16] key_salt   data key = HMAC-SHA256(master, label || key_salt)
//   76  u8[12] nonce
//   88  ciphertext        the plaintext record area, encrypted (same length)
//   ..  u8[16] tag        over the ciphertext and the AAD below
// AAD: header bytes [12, 16) and [32, header length) (version, flags, header
// length, record count, reserved, arrival times, and the epoch in version
// 2): everything the writer knows before the offsets are assigned. The CRC
// covers the stored bytes, so a log is scanned and recovered without the key.
inline constexpr uint8_t kFlagEncrypted = 0x01;
inline constexpr uint8_t kKnownFlags = kFlagEncrypted;
// Positions within the record area (relative to the header length).
inline constexpr size_t kKeyRefRel = 0;
inline constexpr size_t kKeySaltRel = kKeyRefRel + 4;
inline constexpr size_t kKeySaltBytes = 16;
inline constexpr size_t kNonceRel = kKeySaltRel + kKeySaltBytes;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kCiphertextRel = kNonceRel + kNonceBytes;
inline constexpr size_t kTagBytes = 16;
// Bytes an encrypted batch adds to the plaintext one.
inline constexpr size_t kEncryptionOverhead = kCiphertextRel + kTagBytes;

inline constexpr size_t kMagicPos = 0;
inline constexpr size_t kLengthPos = 4;
inline constexpr size_t kCrcPos = 8;
inline constexpr size_t kVersionPos = 12;
inline constexpr size_t kFlagsPos = 13;
inline constexpr size_t kHeaderLengthPos = 14;
inline constexpr size_t kBaseOffsetPos = 16;
inline constexpr size_t kCommittedOffsetPos = 24;
inline constexpr size_t kRecordCountPos = 32;
inline constexpr size_t kReservedPos = 36;
inline constexpr size_t kFirstArrivalPos = 40;
inline constexpr size_t kLastArrivalPos = 48;

// The largest batch accepted (a Kinesis PutRecords call is at most 5 MiB of
// data plus keys; this leaves room and keeps file positions in 32 bits).
inline constexpr size_t kMaxBatchBytes = 32u << 20;
inline constexpr size_t kMaxVarint32Bytes = 5;

// ---- Segment files ------------------------------------------------------
// <dir>/<group>/<shard %012u>/<first offset %020llu>.log and, for rolled
// segments, the cache file <first offset %020llu>.index.
inline constexpr std::string_view kSegmentSuffix = ".log";
inline constexpr std::string_view kIndexSuffix = ".index";
inline constexpr std::string_view kTempSuffix = ".tmp";
inline constexpr size_t kSegmentNameDigits = 20;
inline constexpr size_t kShardDirDigits = 12;
// Segment positions are stored as u32 in the index.
inline constexpr uint64_t kMaxSegmentBytes = 1ull << 30;

// ---- Index cache file (<base>.index) -----------------------------------
//
//  0  u32 magic           kIndexMagic
//  4  u32 version         kIndexVersion
//  8  u64 base_offset     must equal the segment's
// 16  u64 end_offset      one past the segment's last record
// 24  u64 end_pos         byte size of the segment's data (== file size)
// 32  u64 last_batch_pos  position of the last batch
// 40  i64 max_arrival_ms
// 48  u32 interval_bytes  the sparse interval the entries were built with
// 52  u32 entry_count
// 56  entries: entry_count x { u32 relative_offset, u32 pos, i64 max_ms_before }
//  .. u32 crc32c of everything before it
inline constexpr uint32_t kIndexMagic = 0x494C5053;  // "SPLI"
inline constexpr uint32_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderSize = 56;
inline constexpr size_t kIndexEntrySize = 16;

// ---- Checkpoint file (<shard dir>/checkpoint) ------------------------------
// The durable prefix of the active segment, so recovery scans only what was
// appended after it. Same layout as the index cache file, with its own magic:
//
//  0  u32 magic           kCheckpointMagic
//  4  u32 version         kCheckpointVersion
//  8  u64 base_offset     the segment it describes (the active one when written)
// 16  u64 end_offset      one past the last record of [0, end_pos)
// 24  u64 end_pos         every byte in [0, end_pos) is acknowledged, durable data
// 32  u64 last_batch_pos  position of the last batch before end_pos
// 40  i64 max_arrival_ms
// 48  u32 interval_bytes
// 52  u32 entry_count
// 56  entries: entry_count x { u32 relative_offset, u32 pos, i64 max_ms_before }
//  .. u32 crc32c of everything before it
// Written as <name>.tmp, fsync, rename, directory fsync.
inline constexpr uint32_t kCheckpointMagic = 0x434C5053;  // "SPLC"
inline constexpr uint32_t kCheckpointVersion = 1;
inline constexpr std::string_view kCheckpointFileName = "checkpoint";

// ---- Epoch file (<shard dir>/epoch) --------------------------------------
// The highest fencing epoch the shard has been told of (ShardLog::Epoch)
// when it is above its newest batch's (a new leader's TruncateTo, or the
// first replicated batch of a new leadership). Absent: the newest batch's
// epoch is the shard's.
//
//  0  u32 magic    kEpochFileMagic
//  4  u32 version  kEpochFileVersion
//  8  i64 epoch
// 16  u32 crc32c   of bytes [0, 16)
// Written as <name>.tmp, fsync, rename, directory fsync. A file that is
// present but invalid opens the log failed (the fence cannot be trusted).
inline constexpr uint32_t kEpochFileMagic = 0x454C5053;  // "SPLE"
inline constexpr uint32_t kEpochFileVersion = 1;
inline constexpr size_t kEpochFileSize = 20;
inline constexpr std::string_view kEpochFileName = "epoch";

// ---- Commit journal (<dir>/.journal/journal-0, journal-1) -----------------
// Small batches are made durable by one fdatasync of the journal per commit
// round instead of one per shard file; see docs/formats/journal.md. Two
// files of LogStoreOptions::journal_bytes each, zero-filled when created,
// used in turn. The file header (at 0):
//
//  0  u32 magic           kJournalFileMagic
//  4  u32 version         kJournalVersion
//  8  u64 generation      bumped each time a file becomes the current one
// 16  u32 crc32c          of bytes [0, 16)
// 20  u8[12] zero
//
// Records follow from kJournalHeaderSize, back to back:
//
//  0  u32 magic           kJournalRecordMagic
//  4  u32 record_length   whole record in bytes, header included
//  8  u32 crc32c          of bytes [12, record_length)
// 12  u32 entry_count     >= 1
// 16  u64 generation      the file's generation when written
// 24  entries: entry_count x {
//       u16 path_length, path (segment file, relative to the data directory),
//       u64 file_pos, u32 batch_length, batch bytes (as in the segment) }
//
// Replay reads the file with the highest valid generation from its header
// on, up to the first record that is not valid or not of its generation
// (zeros, a torn write, or an older record of a recycled file).
// A name no log group can take (groups never start with '.').
inline constexpr std::string_view kJournalDirName = ".journal";
inline constexpr std::string_view kJournalFilePrefix = "journal-";
inline constexpr uint32_t kJournalFileMagic = 0x464A5053;    // "SPJF"
inline constexpr uint32_t kJournalRecordMagic = 0x524A5053;  // "SPJR"
inline constexpr uint32_t kJournalVersion = 1;
inline constexpr size_t kJournalHeaderSize = 32;
inline constexpr size_t kJournalHeaderCrcPos = 16;
inline constexpr size_t kJournalRecordHeaderSize = 24;
inline constexpr size_t kJournalRecordCrcFrom = 12;
inline constexpr size_t kJournalEntryFixedBytes = 2 + 8 + 4;

// ---- Little-endian fixed-width and varint coding ------------------------
void PutFixed32(char* p, uint32_t v);
void PutFixed64(char* p, uint64_t v);
uint32_t GetFixed32(const char* p);
uint64_t GetFixed64(const char* p);
uint16_t GetFixed16(const char* p);
void PutFixed16(char* p, uint16_t v);
// Writes v as a LEB128 varint at p; returns the byte count (1..5).
size_t PutVarint32(char* p, uint32_t v);
size_t Varint32Length(uint32_t v);
// Parses a varint in [*p, limit); advances *p. False if truncated/overlong.
bool GetVarint32(const char** p, const char* limit, uint32_t* v);

// ---- Batch encoding ----------------------------------------------------
// Bytes the batch for `records` will take, or 0 if a record part exceeds
// u32 (the caller rejects such input).
// `epoch` (>= 0) is the fencing epoch the batch is appended under: 0 gives a
// version 1 batch, any other a version 2 one (8 bytes more).
size_t EncodedBatchSize(const std::vector<RecordInput>& records, int64_t epoch = 0);
// The header length of a batch appended under `epoch`.
inline size_t BatchHeaderSizeFor(int64_t epoch) { return epoch == 0 ? kBatchHeaderSize : kBatchHeaderSizeEpoch; }

// Writes the header (except base/committed offsets and CRC) and the records
// into `out`, which must be EncodedBatchSize(records, epoch) bytes.
void EncodeBatchBody(const std::vector<RecordInput>& records, int64_t arrival_ms, char* out, int64_t epoch = 0);
// Overwrites the first/last arrival times of an encoded, unsealed batch.
void SetBatchArrival(char* batch, int64_t arrival_ms);
// Sets base and committed offsets, then computes the CRC. `batch` holds the
// whole batch.
void SealBatch(char* batch, size_t size, Offset base_offset, Offset committed_offset);

// The decoded fixed header of a batch.
struct BatchHeader {
  uint32_t length = 0;
  uint32_t crc = 0;
  uint8_t version = 0;
  uint8_t flags = 0;
  uint16_t header_length = 0;  // where the record area starts (56 or 64)
  Offset base_offset;
  Offset committed_offset;
  uint32_t record_count = 0;
  int64_t first_arrival_ms = 0;
  int64_t last_arrival_ms = 0;
  // The fencing epoch (version 2; 0 in version 1). It lies past the shared
  // prefix, so ParseHeader leaves it 0: BatchScanner::Next and the append
  // paths set it from the whole batch (BatchEpoch).
  int64_t epoch = 0;
};

enum class HeaderCheck {
  kOk,
  kZero,     // an all-zero magic and length: the pre-allocated, never-written tail
  kInvalid,  // anything else that is not a plausible header
};
// Parses and sanity-checks the fixed header at p (kBatchHeaderSize bytes:
// the prefix every version shares; the epoch lies beyond it, see BatchEpoch).
HeaderCheck ParseHeader(const char* p, BatchHeader* h);

// The fencing epoch of the whole batch at p (h.length bytes) whose header
// parsed: 0 for a version 1 batch.
int64_t BatchEpoch(const char* p, const BatchHeader& h);

// Verifies the CRC and the record framing of a whole batch (h.length bytes
// at p). Returns kCorruption with a description on mismatch.
Status VerifyBatch(const char* p, const BatchHeader& h);

// Encrypts the record area of a batch built by EncodeBatchBody (before
// SealBatch) under master key `key_ref`: `batch` must hold
// EncodedBatchSize(records) + kEncryptionOverhead bytes, the plaintext
// batch in its first EncodedBatchSize(records). Sets kFlagEncrypted and the
// length. kNotFound if the key store has no such key.
Status EncryptBatch(const KeyStore& keys, uint32_t key_ref, char* batch, size_t plain_size);

// The record area of a batch whose CRC verified (VerifyBatch): for a
// plaintext batch a view into it; for an encrypted one the decrypted bytes,
// held in *scratch. Verifies the record framing. kCorruption for bad
// framing or failed authentication; kUnavailable when the batch is
// encrypted and `keys` is null or lacks its key.
Result<std::string_view> BatchRecords(const char* p, const BatchHeader& h, const KeyStore* keys, std::string* scratch);

// Checks that `records` holds exactly `count` well-framed records.
bool RecordsFramed(std::string_view records, uint32_t count);

// Decodes the records of a verified batch, calling fn(offset, key, data)
// for each record with offset >= `from`; fn returns false to stop.
// Plaintext batches only; see the overload below for any batch.
template <typename Fn>
void ForEachRecord(const char* p, const BatchHeader& h, Fn&& fn);

// Decodes `records` (from BatchRecords) of the batch with header `h`.
template <typename Fn>
void ForEachRecord(std::string_view records, const BatchHeader& h, Fn&& fn) {
  const char* q = records.data();
  const char* limit = records.data() + records.size();
  for (uint32_t i = 0; i < h.record_count; ++i) {
    uint32_t klen = 0, dlen = 0;
    GetVarint32(&q, limit, &klen);
    std::string_view key(q, klen);
    q += klen;
    GetVarint32(&q, limit, &dlen);
    std::string_view data(q, dlen);
    q += dlen;
    if (!fn(h.base_offset + i, key, data)) return;
  }
}

template <typename Fn>
void ForEachRecord(const char* p, const BatchHeader& h, Fn&& fn) {
  ForEachRecord(std::string_view(p + h.header_length, h.length - h.header_length), h, std::forward<Fn>(fn));
}

// File names.
std::string SegmentFileName(Offset base);
std::string IndexFileName(Offset base);
std::string ShardDirName(model::ShardIndex shard);
// Parses "<20 digits>.log" / "<20 digits>.index"; false if not of that form.
bool ParseSegmentFileName(std::string_view name, Offset* base);
bool ParseIndexFileName(std::string_view name, Offset* base);

}  // namespace spate::storage::format
