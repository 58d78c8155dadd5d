// libFuzzer target: the sync batch payload decoder (batch_codec.h) and the
// parse of what it yields, on arbitrary bytes as a received Batch.payload.
//
// After every input: decompression returned a status within its cap and gave
// the budget back; an accepted payload parses (or is refused) as a ChangeList
// of Records without a crash; and compressed again it decompresses to exactly
// the same bytes (the codec round trip).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/time/time.h"
#include "ilp/v1/state.pb.h"
#include "ilp/v1/sync.pb.h"
#include "services/replication/batch_codec.h"
#include "tests/fuzz/fuzz_node.h"

namespace {

constexpr size_t kCap = 1u << 20;
// What one decompression reserves: the cap plus zstd's 2 MiB window (batch_codec.cc).
constexpr size_t kBudget = kCap + (2u << 20);

using ilp::fuzz::Fail;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ilp::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* budget = new ilp::DecompressionBudget(kBudget);
  const std::string in(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<std::string> raw = ilp::DecompressPayload(in, kCap, budget);
  if (raw.ok()) {
    if (raw->size() > kCap) Fail("output over the cap");
    ilp::v1::ChangeList list;
    if (list.ParseFromString(*raw)) {
      for (const std::string& r : list.records()) {
        ilp::v1::Record rec;
        (void)rec.ParseFromString(r);  // either answer is fine; only a crash is a finding
      }
    }
    // The codec round trip: compressed again, the same bytes come back.
    absl::StatusOr<std::string> z = ilp::CompressPayload(*raw);
    if (!z.ok()) Fail("compress failed");
    absl::StatusOr<std::string> back = ilp::DecompressPayload(*z, kCap, budget);
    if (!back.ok() || *back != *raw) Fail("round trip changed the payload");
  } else if (!absl::IsInvalidArgument(raw.status())) {
    Fail("a bad payload is not INVALID_ARGUMENT");
  }
  // Every decompression returned its reservation: the whole budget is free.
  if (!budget->Acquire(kBudget, absl::ZeroDuration()).ok()) Fail("budget leaked");
  budget->Release(kBudget);
  return 0;
}
