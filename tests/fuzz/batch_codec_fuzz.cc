// libFuzzer target: the sync batch payload decoder (batch_codec.h) and the
// parse of what it yields, on arbitrary bytes as a received Batch.payload.
//
// After every input: decompression returned a status within its cap and gave
// the budget back; an accepted payload parses (or is refused) as a ChangeList
// of Records without a crash; and compressed again it decompresses to exactly
// the same bytes (the codec round trip). The decompressed bytes are also
// read as a columnar payload (columnar.h): refused with INVALID_ARGUMENT or
// decoded within the cap, and what decodes, encoded again, decodes to the
// same records.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/time/time.h"
#include "ilp/v1/state.pb.h"
#include "ilp/v1/sync.pb.h"
#include "services/replication/batch_codec.h"
#include "services/replication/columnar.h"
#include "tests/fuzz/fuzz_node.h"

namespace {

constexpr size_t kCap = 1u << 20;
// What one decompression reserves: the cap plus zstd's 2 MiB window (batch_codec.cc).
constexpr size_t kBudget = kCap + (2u << 20);

void Fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

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
    absl::StatusOr<ilp::v1::ChangeList> cols = ilp::DecodeColumnar(*raw, kCap);
    if (cols.ok()) {
      size_t total = 0;
      for (const std::string& r : cols->records()) total += r.size();
      if (total > kCap) Fail("columnar records over the cap");
      absl::StatusOr<std::string> again = ilp::EncodeColumnar(*cols);
      if (again.ok()) {
        absl::StatusOr<ilp::v1::ChangeList> back = ilp::DecodeColumnar(*again, kCap);
        if (!back.ok() || back->SerializeAsString() != cols->SerializeAsString()) {
          Fail("columnar round trip changed the records");
        }
      } else if (!absl::IsFailedPrecondition(again.status())) {
        Fail("a columnar encode failed other than FAILED_PRECONDITION");
      }
    } else if (!absl::IsInvalidArgument(cols.status())) {
      Fail("a bad columnar payload is not INVALID_ARGUMENT");
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
