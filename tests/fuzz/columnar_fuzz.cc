// libFuzzer target: the columnar batch decoder (columnar.h) on arbitrary
// bytes as a decompressed Batch.payload of encoding COLUMNAR.
//
// After every input: the decoder refused it with INVALID_ARGUMENT or gave
// records within the cap, each parsed (or refused) as a Record without a
// crash; and what it gave, encoded again (when it can be transcoded),
// decodes to the very same records.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "ilp/v1/state.pb.h"
#include "services/replication/columnar.h"
#include "tests/fuzz/fuzz_node.h"

namespace {

constexpr size_t kCap = 1u << 20;

using ilp::fuzz::Fail;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ilp::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ilp::v1::ChangeList> list = ilp::DecodeColumnar(in, kCap);
  if (!list.ok()) {
    if (!absl::IsInvalidArgument(list.status())) Fail("a bad payload is not INVALID_ARGUMENT");
    return 0;
  }
  size_t total = 0;
  for (const std::string& r : list->records()) {
    total += r.size();
    ilp::v1::Record rec;
    (void)rec.ParseFromString(r);  // either answer is fine; only a crash is a finding
  }
  if (total > kCap) Fail("records over the cap");
  absl::StatusOr<std::string> again = ilp::EncodeColumnar(*list);
  if (again.ok()) {
    absl::StatusOr<ilp::v1::ChangeList> back = ilp::DecodeColumnar(*again, kCap);
    if (!back.ok() || back->SerializeAsString() != list->SerializeAsString()) {
      Fail("encode then decode changed the records");
    }
  } else if (!absl::IsFailedPrecondition(again.status())) {
    Fail("an encode failed other than FAILED_PRECONDITION");
  }
  return 0;
}
