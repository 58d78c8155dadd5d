// libFuzzer target: every Records API request type through RecordsCore, the
// code behind the gRPC handlers, against a real store (fuzz_node.h).
//
// Input: byte 0 picks the request type (kCalls, modulo its size); the rest is
// that request, serialized. After every input: a failed call wrote nothing
// (change-log head and record counts unchanged); a read wrote nothing; no
// call answers INTERNAL, DATA_LOSS or UNKNOWN, which would mean the input
// reached a state the code does not handle or damaged the store. Every
// `reset_every` inputs the store must pass Store::Verify().
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>

#include "services/records/records_core.h"
#include "tests/fuzz/fuzz_node.h"
#include "tests/fuzz/records_calls.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ilp::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ilp;
  using namespace ilp::fuzz;
  static FuzzNode* node = new FuzzNode(ChildConfig(), 0);
  if (size == 0) return 0;
  const RecordsCall& call = RecordsCalls()[data[0] % RecordsCalls().size()];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  node->NextInput();
  node->clock()->Advance(1000);

  Store* store = node->store();
  const StoreStats before = store->Stats();
  std::optional<absl::Status> st = call.run(node->records(), body);
  if (!st.has_value()) return 0;  // not a request of that type
  const StoreStats after = store->Stats();
  const bool wrote = after.last_seq != before.last_seq ||
                     after.records_by_kind != before.records_by_kind;
  if (wrote && (!st->ok() || !call.writes)) {
    std::fprintf(stderr, "fuzz invariant broken: %s %s wrote to the store: %s\n", call.name,
                 call.writes ? "failing" : "(a read)", st->ToString().c_str());
    std::abort();
  }
  if (absl::IsInternal(*st) || absl::IsDataLoss(*st) || absl::IsUnknown(*st)) {
    std::fprintf(stderr, "fuzz invariant broken: %s answered %s\n", call.name,
                 st->ToString().c_str());
    std::abort();
  }
  return 0;
}
