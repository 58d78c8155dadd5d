#include "services/replication/batch_codec.h"

#include <zstd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "services/replication/columnar.h"
#include "storage/util/status_macros.h"

namespace ilp {

absl::StatusOr<std::string> CompressPayload(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  if (ZSTD_isError(n)) return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  out.resize(n);
  return out;
}

absl::Status DecompressionBudget::Acquire(size_t n, absl::Duration wait) {
  absl::MutexLock l(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return free_ >= n; };
  if (!freed_.WaitFor(&mu_, wait, enough)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("node is decompressing other sessions' batches (", n,
                     " bytes needed); try again later"));
  }
  free_ -= n;
  return absl::OkStatus();
}

void DecompressionBudget::Release(size_t n) {
  {
    absl::MutexLock l(&mu_);
    free_ += n;
  }
  freed_.SignalAll();
}

absl::StatusOr<std::string> DecompressPayload(const std::string& z, size_t cap,
                                              DecompressionBudget* budget) {
  // zstd level 3 (CompressPayload) uses at most a 2 MiB window; refuse larger
  // ones, and charge the window to the budget with the output.
  constexpr int kWindowLog = 21;
  const size_t charge = cap + (size_t{1} << kWindowLog);
  if (budget != nullptr) {
    if (absl::Status s = budget->Acquire(charge, absl::Seconds(10)); !s.ok()) return s;
  }
  struct Release {
    DecompressionBudget* b;
    size_t n;
    ~Release() {
      if (b) b->Release(n);
    }
  } release{budget, charge};
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return absl::ResourceExhaustedError("zstd: out of memory");
  // Bound the window too, so a frame cannot ask for a huge history buffer.
  ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, kWindowLog);
  std::string out;
  out.reserve(std::min(cap, z.size() * 4 + 1024));
  ZSTD_inBuffer in{z.data(), z.size(), 0};
  char chunk[64 * 1024];
  size_t ret = 1;
  while (in.pos < in.size || ret != 0) {
    ZSTD_outBuffer o{chunk, sizeof(chunk), 0};
    ret = ZSTD_decompressStream(ctx.get(), &o, &in);
    if (ZSTD_isError(ret)) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch.payload: not a valid zstd frame (", ZSTD_getErrorName(ret), ")"));
    }
    if (out.size() + o.pos > cap) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch.payload: decompresses beyond ", cap, " bytes (max_batch_bytes plus one record)"));
    }
    out.append(chunk, o.pos);
    if (o.pos == 0 && in.pos == in.size && ret != 0) {
      return absl::InvalidArgumentError("batch.payload: truncated zstd frame");
    }
  }
  return out;
}

absl::Status EncodeBatchPayload(const v1::ChangeList& list, v1::BatchEncoding encoding,
                                v1::Batch* batch) {
  // An empty batch (every idle session has one each way) goes as protobuf:
  // fewer bytes than the columnar header, and no encoding field.
  if (encoding == v1::BATCH_ENCODING_COLUMNAR && list.records_size() > 0) {
    absl::StatusOr<std::string> columns = EncodeColumnar(list);
    if (columns.ok()) {
      ILP_ASSIGN_OR_RETURN(*batch->mutable_payload(), CompressPayload(*columns));
      batch->set_encoding(v1::BATCH_ENCODING_COLUMNAR);
      return absl::OkStatus();
    }
    if (!absl::IsFailedPrecondition(columns.status())) return columns.status();
  }
  ILP_ASSIGN_OR_RETURN(*batch->mutable_payload(), CompressPayload(list.SerializeAsString()));
  batch->set_encoding(v1::BATCH_ENCODING_PROTOBUF);
  return absl::OkStatus();
}

absl::StatusOr<v1::ChangeList> DecodeBatchPayload(const v1::Batch& batch, size_t cap,
                                                  DecompressionBudget* budget) {
  ILP_ASSIGN_OR_RETURN(std::string raw, DecompressPayload(batch.payload(), cap, budget));
  switch (batch.encoding()) {
    case v1::BATCH_ENCODING_PROTOBUF: {
      v1::ChangeList list;
      if (!list.ParseFromString(raw)) {
        return absl::InvalidArgumentError("batch.payload: not a ChangeList");
      }
      return list;
    }
    case v1::BATCH_ENCODING_COLUMNAR:
      return DecodeColumnar(raw, cap);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("batch.encoding: ", batch.encoding(), " is not an encoding this node reads"));
  }
}

}  // namespace ilp
