#include "tests/bench/baselines.h"

#include <zstd.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "services/replication/columnar.h"
#include "storage/clock/clock.h"
#include "storage/store/keys.h"
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

// Compresses what is added in 256 KiB chunks, zstd level 3 (as a sync batch
// is): the bytes as they are, and the chunk's records in the columnar batch
// encoding (services/replication/columnar.h).
class ChunkedZstd {
 public:
  void Add(const std::string& bytes) {
    raw_ += bytes.size();
    chunk_ += bytes;
    records_.add_records(bytes);
    if (chunk_.size() >= kChunk) Flush();
  }
  void Flush() {
    if (chunk_.empty()) return;
    compressed_ += Zstd(chunk_);
    absl::StatusOr<std::string> columns = EncodeColumnar(records_);
    columnar_ += columns.ok() ? Zstd(*columns) : Zstd(chunk_);
    chunk_.clear();
    records_.Clear();
  }
  uint64_t raw() const { return raw_; }
  uint64_t compressed() const { return compressed_; }
  uint64_t columnar() const { return columnar_; }

 private:
  size_t Zstd(const std::string& in) {
    out_.resize(ZSTD_compressBound(in.size()));
    return ZSTD_compress(out_.data(), out_.size(), in.data(), in.size(), 3);
  }
  std::string chunk_, out_;
  v1::ChangeList records_;
  uint64_t raw_ = 0, compressed_ = 0, columnar_ = 0;
};

}  // namespace

VisitSizes MeasureVisitSizes(uint64_t seed, uint64_t n, uint64_t patients) {
  ChunkedZstd z;
  for (uint64_t i = 0; i < n; ++i) z.Add(VisitBytes(seed, i, patients));
  z.Flush();
  return {z.raw(), z.compressed()};
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
    rate.batch_ends.push_back(res->last_seq);
  }
  z.Flush();
  rate.record_bytes = z.raw();
  rate.record_zstd_bytes = z.compressed();
  rate.record_columnar_zstd_bytes = z.columnar();
  const double s = absl::ToDoubleSeconds(spent);
  rate.visits_per_s = static_cast<double>(visits) / s;
  rate.changes_per_s = static_cast<double>(rate.changes) / s;
  return rate;
}

absl::StatusOr<double> SameKvRawRate(const std::string& applied_dir, const ApplyRate& rate,
                                     const std::string& dir) {
  // The applied store, read as it is on disk.
  std::vector<std::string> names;
  rocksdb::Status st = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), applied_dir, &names);
  if (!st.ok()) return absl::InternalError(absl::StrCat("listing ", applied_dir, ": ", st.ToString()));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& name : names) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> src_h, dst_h;
  rocksdb::DB* raw = nullptr;
  st = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), applied_dir, cfs, &src_h, &raw);
  if (!st.ok()) return absl::InternalError(absl::StrCat("opening ", applied_dir, ": ", st.ToString()));
  std::unique_ptr<rocksdb::DB> src(raw);
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.create_missing_column_families = true;
  st = rocksdb::DB::Open(opts, dir, cfs, &dst_h, &raw);
  if (!st.ok()) return absl::InternalError(absl::StrCat("raw rocksdb ", dir, ": ", st.ToString()));
  std::unique_ptr<rocksdb::DB> dst(raw);
  std::map<std::string, size_t> cf;
  for (size_t i = 0; i < names.size(); ++i) cf[names[i]] = i;
  for (const char* need : {"changelog", "records", "audit", "index"}) {
    if (!cf.count(need)) return absl::InternalError(absl::StrCat(applied_dir, " has no column family ", need));
  }
  std::string counts;
  st = src->Get(rocksdb::ReadOptions(), src_h[cf[rocksdb::kDefaultColumnFamilyName]], "counts", &counts);
  if (!st.ok()) return absl::InternalError(absl::StrCat("reading counts: ", st.ToString()));
  auto read = [&](const std::string& family, const std::string& key) -> absl::StatusOr<std::string> {
    std::string v;
    rocksdb::Status s = src->Get(rocksdb::ReadOptions(), src_h[cf[family]], key, &v);
    if (!s.ok()) return absl::InternalError(absl::StrCat("reading ", family, ": ", s.ToString()));
    return v;
  };
  rocksdb::WriteOptions wo;
  wo.sync = true;
  absl::Duration spent;
  uint64_t from = 0, changes = 0;
  for (const uint64_t to : rate.batch_ends) {
    rocksdb::WriteBatch batch;
    for (uint64_t seq = from + 1; seq <= to; ++seq, ++changes) {
      absl::StatusOr<std::string> entry = read("changelog", SeqKey(seq));
      if (!entry.ok()) return entry.status();
      batch.Put(dst_h[cf["changelog"]], SeqKey(seq), *entry);
      v1::Change c;
      if (!c.ParseFromString(*entry)) return absl::DataLossError(absl::StrCat("change ", seq, " does not parse"));
      const std::string family = c.delta().has_audit() ? "audit" : "records";
      absl::StatusOr<std::string> state = read(family, c.delta().id());
      if (!state.ok()) return state.status();
      batch.Put(dst_h[cf[family]], c.delta().id(), *state);
      v1::Record r;
      if (!r.ParseFromString(*state)) return absl::DataLossError(absl::StrCat("record ", c.delta().id()));
      for (const std::string& k : IndexEntries(r)) batch.Put(dst_h[cf["index"]], k, "");
    }
    batch.Put(dst_h[cf[rocksdb::kDefaultColumnFamilyName]], "counts", counts);
    const absl::Time t0 = absl::Now();
    st = dst->Write(wo, &batch);
    spent += absl::Now() - t0;
    if (!st.ok()) return absl::InternalError(st.ToString());
    from = to;
  }
  for (auto* h : src_h) src->DestroyColumnFamilyHandle(h);
  for (auto* h : dst_h) dst->DestroyColumnFamilyHandle(h);
  return static_cast<double>(changes) / absl::ToDoubleSeconds(spent);
}

}  // namespace ilp::bench
