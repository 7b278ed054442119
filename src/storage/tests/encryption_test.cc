// Encryption at rest: the key store and encrypted batches in the shard log.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <future>

#include "storage/format.h"
#include "storage/key_store.h"
#include "storage/tests/test_util.h"

namespace spate::storage::testing {
namespace {

Result<AppendResult> AppendEncrypted(ShardLog& log, const std::vector<Rec>& recs, int64_t ms, std::string_view key_id) {
  std::promise<Result<AppendResult>> p;
  auto f = p.get_future();
  std::vector<RecordInput> in;
  for (const Rec& r : recs) in.push_back(RecordInput{r.key, r.data});
  AppendOptions opts;
  opts.encryption_key_id = key_id;
  log.Append(in, ms, opts, [&p](Result<AppendResult> r) { p.set_value(std::move(r)); });
  return f.get();
}

bool FileContains(const std::string& path, std::string_view needle) {
  auto data = util::ReadFileToString(util::PosixFileSystem(), path);
  return data.ok() && data->find(needle) != std::string::npos;
}

class EncryptionTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    OpenKeys();
  }
  void OpenKeys() {
    store_.reset();
    keys_.reset();
    auto k = KeyStore::Open(root_ + "/keys");
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    keys_ = std::move(k).value();
    options_.key_store = keys_.get();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    StoreFixture::TearDown();
  }
  std::unique_ptr<KeyStore> keys_;
};

TEST(KeyStoreTest, CanonicalKeyIds) {
  EXPECT_EQ(*KeyStore::CanonicalKeyId("alias/aws/kinesis"), "alias/aws/kinesis");
  EXPECT_EQ(*KeyStore::CanonicalKeyId("arn:aws:kms:us-east-1:123456789012:alias/aws/kinesis"), "alias/aws/kinesis");
  EXPECT_EQ(*KeyStore::CanonicalKeyId("12345678-1234-1234-1234-123456789012"),
            "key/12345678-1234-1234-1234-123456789012");
  EXPECT_EQ(*KeyStore::CanonicalKeyId("arn:aws:kms:eu-west-1:123456789012:key/12345678-1234"), "key/12345678-1234");
  EXPECT_EQ(KeyStore::CanonicalKeyId("").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(KeyStore::CanonicalKeyId("alias/").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(KeyStore::CanonicalKeyId("arn:aws:s3:::bucket/key/x").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(KeyStore::CanonicalKeyId("arn:aws:kms:us-east-1:1:bogus/x").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(EncryptionTest, KeyStoreFileIsPrivateAndSurvivesReopen) {
  auto a = keys_->RefFor("alias/aws/kinesis");
  auto b = keys_->RefFor("arn:aws:kms:us-east-1:111122223333:alias/aws/kinesis");  // same key
  auto c = keys_->RefFor("my-key");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = KeyStore::Open(root_ + "/keys");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->size(), 2u);
  EXPECT_EQ(*(*again)->RefFor("key/my-key"), *c);
}

TEST_F(EncryptionTest, CorruptKeyStoreIsRefused) {
  ASSERT_TRUE(keys_->RefFor("k").ok());
  std::string path = root_ + "/keys";
  auto data = *util::ReadFileToString(util::PosixFileSystem(), path);
  data[20] ^= 1;
  ASSERT_TRUE(util::WriteFileAtomically(util::PosixFileSystem(), path, data).ok());
  EXPECT_EQ(KeyStore::Open(path).status().code(), ErrorCode::kCorruption);
}

TEST_F(EncryptionTest, EncryptedRecordsRoundTripAndAreMarked) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, {{"pk", "plain-before"}}, 1000).ok());
  auto r = AppendEncrypted(*log, {{"pk", "secret-one"}, {"pk2", "secret-two"}}, 1001, "alias/aws/kinesis");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_offset, Offset(1));
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_FALSE((*all)[0].encrypted);
  EXPECT_EQ((*all)[1].data, "secret-one");
  EXPECT_EQ((*all)[1].partition_key, "pk");
  EXPECT_TRUE((*all)[1].encrypted);
  EXPECT_EQ((*all)[2].data, "secret-two");
  EXPECT_EQ((*all)[2].arrival_ms, 1001);
}

TEST_F(EncryptionTest, SegmentFilesHoldNoPlaintext) {
  auto log = Shard();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(AppendEncrypted(*log, {{"partition-key-visible", "TOPSECRET-payload-" + std::to_string(i)}}, 1000 + i,
                                "alias/aws/kinesis")
                    .ok());
  }
  auto files = FilesWithSuffix(ShardDir(), ".log");
  ASSERT_GT(files.size(), 1u);  // rolled at 2 KiB
  for (const auto& f : files) {
    EXPECT_FALSE(FileContains(f, "TOPSECRET")) << f;
    EXPECT_FALSE(FileContains(f, "partition-key-visible")) << f;
  }
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 40u);
  EXPECT_EQ((*all)[39].data, "TOPSECRET-payload-39");
}

TEST_F(EncryptionTest, RecoversAndReadsAfterRestart) {
  auto log = Shard();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(AppendEncrypted(*log, {{"k", "v" + std::to_string(i)}}, 5, "kid").ok());
  log.reset();
  OpenKeys();  // a fresh KeyStore object loaded from the file
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(30));
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ((*all)[29].data, "v29");
}

// ReadViews points encrypted records into the plaintext it keeps, plaintext
// records into the segment bytes; both stay valid after a move.
TEST_F(EncryptionTest, ReadViewsOfMixedBatchesSurviveAMove) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, {{"k1", "plain-0"}, {"k1", "plain-1"}}, 1).ok());
  ASSERT_TRUE(AppendEncrypted(*log, {{"k2", "secret-2"}, {"k2", "s3"}}, 2, "kid").ok());
  ASSERT_TRUE(AppendSync(*log, {{"k3", "plain-4"}}, 3).ok());
  auto read = log->ReadViews(Offset(1), ReadLimits{});
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ReadView v = std::move(*read);
  ASSERT_EQ(v.records.size(), 4u);
  EXPECT_EQ(v.decrypted.size(), 1u);
  EXPECT_EQ(v.records[0].data, "plain-1");
  EXPECT_FALSE(v.records[0].encrypted);
  EXPECT_EQ(v.records[1].data, "secret-2");
  EXPECT_EQ(v.records[1].partition_key, "k2");
  EXPECT_TRUE(v.records[1].encrypted);
  EXPECT_EQ(v.records[2].data, "s3");
  EXPECT_EQ(v.records[3].data, "plain-4");
  EXPECT_EQ(v.next_offset, Offset(5));
}

TEST_F(EncryptionTest, WithoutTheKeyStoreRecordsAreUnreadableButTheLogOpens) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, {{"k", "plain"}}, 1).ok());
  ASSERT_TRUE(AppendEncrypted(*log, {{"k", "hidden"}}, 2, "kid").ok());
  log.reset();
  store_.reset();
  options_.key_store = nullptr;  // the data directory copied without its key store
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(2));  // recovery needs no key: the CRC covers the stored bytes
  auto first = log->Read(Offset(0), ReadLimits{1, 1 << 20});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->records[0].data, "plain");
  EXPECT_EQ(log->Read(Offset(1), ReadLimits{}).status().code(), ErrorCode::kUnavailable);
  // Another key store (same key name, other key material) cannot read it either.
  auto other = KeyStore::Open(root_ + "/other-keys");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->RefFor("kid").ok());
  options_.key_store = other->get();
  log.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->Read(Offset(1), ReadLimits{}).status().code(), ErrorCode::kCorruption);
  log.reset();
  store_.reset();
}

TEST_F(EncryptionTest, EncryptedAppendWithoutKeyStoreFails) {
  store_.reset();
  options_.key_store = nullptr;
  Reopen();
  auto log = Shard();
  EXPECT_EQ(AppendEncrypted(*log, {{"k", "v"}}, 1, "kid").status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(log->EndOffset(), Offset(0));
}

TEST(EncryptedBatchFormatTest, EveryBitFlipIsDetectedOrRejected) {
  std::string dir = MakeTempDir();
  auto keys = KeyStore::Open(dir + "/keys");
  ASSERT_TRUE(keys.ok());
  uint32_t ref = *(*keys)->RefFor("kid");
  std::vector<RecordInput> in = {{"pk", "some data"}, {"pk2", "more"}};
  size_t plain = format::EncodedBatchSize(in);
  std::string b(plain + format::kEncryptionOverhead, '\0');
  format::EncodeBatchBody(in, 99, b.data());
  ASSERT_TRUE(format::EncryptBatch(**keys, ref, b.data(), plain).ok());
  format::SealBatch(b.data(), b.size(), Offset(7), Offset(7));
  format::BatchHeader h;
  ASSERT_EQ(format::ParseHeader(b.data(), &h), format::HeaderCheck::kOk);
  std::string scratch;
  auto recs = format::BatchRecords(b.data(), h, keys->get(), &scratch);
  ASSERT_TRUE(recs.ok());
  int n = 0;
  format::ForEachRecord(*recs, h, [&](Offset, std::string_view, std::string_view) { return ++n, true; });
  EXPECT_EQ(n, 2);
  // Even with the CRC recomputed (an attacker with write access), any
  // change to the sealed area or the authenticated header fails.
  for (size_t i = format::kCrcCoveredFrom; i < b.size(); ++i) {
    if (i >= format::kBaseOffsetPos && i < format::kRecordCountPos) continue;  // offsets are not in the AAD
    if (i >= format::kLengthPos && i < format::kLengthPos + 4) continue;
    std::string c = b;
    c[i] ^= 0x01;
    format::SealBatch(c.data(), c.size(), Offset(7), Offset(7));
    format::BatchHeader hc;
    if (format::ParseHeader(c.data(), &hc) != format::HeaderCheck::kOk) continue;
    std::string s2;
    EXPECT_FALSE(format::BatchRecords(c.data(), hc, keys->get(), &s2).ok()) << "byte " << i;
  }
  util::PosixFileSystem()->RemoveAll(dir).IgnoreError();
}

}  // namespace
}  // namespace spate::storage::testing
