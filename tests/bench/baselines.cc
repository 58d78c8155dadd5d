#include "tests/bench/baselines.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "tests/bench/visits.h"

namespace ilp::bench {
namespace {

constexpr size_t kChunk = 256 * 1024;

// The serialized visit i (patients are referred to by a stand-in id of the
// real id's length, so sizes match the run).
std::string VisitBytes(uint64_t seed, uint64_t i, uint64_t patients) {
  const std::string pid = absl::StrCat("01a20000-0000-7000-8000-", absl::Dec(i % patients, absl::kZeroPad12));
  return MakeVisit(seed, i, pid, 1'795'392'000'000 + static_cast<int64_t>(i) * 1000).SerializeAsString();
}

// Compresses what is added in 256 KiB chunks, zstd level 3 (as a sync batch is).
class ChunkedZstd {
 public:
  void Add(const std::string& bytes) {
    raw_ += bytes.size();
    chunk_ += bytes;
    if (chunk_.size() >= kChunk) Flush();
  }
  void Flush() {
    if (chunk_.empty()) return;
    out_.resize(ZSTD_compressBound(chunk_.size()));
    compressed_ += ZSTD_compress(out_.data(), out_.size(), chunk_.data(), chunk_.size(), 3);
    chunk_.clear();
  }
  uint64_t raw() const { return raw_; }
  uint64_t compressed() const { return compressed_; }

 private:
  std::string chunk_, out_;
  uint64_t raw_ = 0, compressed_ = 0;
};

}  // namespace

VisitSizes MeasureVisitSizes(uint64_t seed, uint64_t n, uint64_t patients) {
  ChunkedZstd z;
  for (uint64_t i = 0; i < n; ++i) z.Add(VisitBytes(seed, i, patients));
  z.Flush();
  return {z.raw(), z.compressed()};
}

absl::StatusOr<double> RawRocksDbRate(const std::string& dir, uint64_t seed, uint64_t n,
                                      uint64_t patients) {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(opts, dir, &raw);
  if (!st.ok()) return absl::InternalError(absl::StrCat("raw rocksdb ", dir, ": ", st.ToString()));
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  absl::Duration spent;
  rocksdb::WriteBatch batch;
  for (uint64_t i = 0; i < n; ++i) {
    char key[8];
    for (int b = 0; b < 8; ++b) key[b] = static_cast<char>(i >> (56 - 8 * b));
    const std::string v = VisitBytes(seed, i, patients);  // generated outside the timed part
    const absl::Time t0 = absl::Now();
    batch.Put(rocksdb::Slice(key, 8), v);
    if (batch.Count() == 1000 || i + 1 == n) {
      st = db->Write(wo, &batch);
      if (!st.ok()) return absl::InternalError(st.ToString());
      batch.Clear();
    }
    spent += absl::Now() - t0;
  }
  db->Close();
  return static_cast<double>(n) / absl::ToDoubleSeconds(spent);
}

absl::StatusOr<ApplyRate> ApplyRateFrom(const std::string& source_dir, const std::string& dir,
                                        uint64_t visits) {
  SystemClock clock;
  auto src = Store::Open(source_dir, &clock);
  if (!src.ok()) return src.status();
  auto dst = Store::Open(dir, &clock);
  if (!dst.ok()) return dst.status();
  const uint64_t head = (*src)->LastSeq();
  // About 1,000 visits per batch: the change log's average changes per visit.
  const size_t per_batch = static_cast<size_t>(std::max<uint64_t>(1, head * 1000 / std::max<uint64_t>(visits, 1)));
  ApplyRate rate;
  ChunkedZstd z;
  absl::Duration spent;
  uint64_t after = 0;
  while (after < head) {
    auto changes = (*src)->ReadChanges(after, per_batch, SIZE_MAX);
    if (!changes.ok()) return changes.status();
    if (changes->empty()) break;
    after = changes->back().seq();
    ApplyRequest req;
    req.via = "pos-mawar";
    req.sync = true;
    for (auto& c : *changes) {
      z.Add(c.delta().SerializeAsString());
      req.deltas.push_back(std::move(*c.mutable_delta()));
    }
    rate.changes += req.deltas.size();
    const absl::Time t0 = absl::Now();
    auto res = (*dst)->Apply(std::move(req));
    spent += absl::Now() - t0;
    if (!res.ok()) return res.status();
  }
  z.Flush();
  rate.record_bytes = z.raw();
  rate.record_zstd_bytes = z.compressed();
  const double s = absl::ToDoubleSeconds(spent);
  rate.visits_per_s = static_cast<double>(visits) / s;
  rate.changes_per_s = static_cast<double>(rate.changes) / s;
  return rate;
}

}  // namespace ilp::bench
