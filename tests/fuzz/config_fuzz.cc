// libFuzzer target: the node config loader (services/node/config.h) on
// arbitrary text, as a JSON config when it starts with '{', else textproto.
//
// After every input: the loader returned a status (no crash); an accepted
// config validates again to itself (defaults are filled once, idempotently)
// and survives a textproto and a JSON round trip through the loader unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/node/config.h"
#include "tests/fuzz/fuzz_node.h"

namespace {

void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckSame(const ilp::v1::NodeConfig& want, const absl::StatusOr<ilp::v1::NodeConfig>& got,
               const char* what) {
  if (!got.ok()) Fail(what, got.status().ToString());
  if (!google::protobuf::util::MessageDifferencer::Equals(want, *got)) {
    Fail(what, want.ShortDebugString() + " != " + got->ShortDebugString());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ilp::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool json = size > 0 && data[0] == '{';
  absl::StatusOr<ilp::v1::NodeConfig> cfg = ilp::ParseNodeConfig(text, json, "fuzz");
  if (!cfg.ok()) {
    if (!absl::IsInvalidArgument(cfg.status())) Fail("not INVALID_ARGUMENT", cfg.status().ToString());
    return 0;
  }
  ilp::v1::NodeConfig again = *cfg;
  CheckSame(*cfg, ilp::ValidateNodeConfig(&again).ok() ? absl::StatusOr<ilp::v1::NodeConfig>(again)
                                                       : absl::InternalError("revalidation failed"),
            "validating an accepted config again");
  std::string as_text;
  if (!google::protobuf::TextFormat::PrintToString(*cfg, &as_text)) Fail("printing", "");
  CheckSame(*cfg, ilp::ParseNodeConfig(as_text, false, "fuzz"), "textproto round trip");
  std::string as_json;
  if (!google::protobuf::util::MessageToJsonString(*cfg, &as_json).ok()) Fail("to JSON", "");
  CheckSame(*cfg, ilp::ParseNodeConfig(as_json, true, "fuzz"), "JSON round trip");
  return 0;
}
