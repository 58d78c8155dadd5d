// Every Records API request type as one table, for records_request_fuzz and
// the seed generator: the input's first byte is an index into it.
#ifndef ILP_TESTS_FUZZ_RECORDS_CALLS_H_
#define ILP_TESTS_FUZZ_RECORDS_CALLS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "services/records/records_core.h"

namespace ilp::fuzz {

struct RecordsCall {
  const char* name;  // the rpc, e.g. "CreatePatient"
  bool writes;       // false for reads, which must never write
  // Parses `body` as the request and calls the core; nullopt if it does not parse.
  std::function<std::optional<absl::Status>(RecordsCore*, const std::string& body)> run;
};

// In the order of records_service.proto (WatchChanges, a stream, excluded).
const std::vector<RecordsCall>& RecordsCalls();

// The index of `name` in RecordsCalls(); aborts if absent.
uint8_t RecordsCallIndex(const std::string& name);

}  // namespace ilp::fuzz

#endif  // ILP_TESTS_FUZZ_RECORDS_CALLS_H_
