#include "services/replication/batch_codec.h"

#include <zstd.h>

#include <memory>

#include "absl/strings/str_cat.h"

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

}  // namespace ilp
