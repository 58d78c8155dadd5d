// Loading and checking an ilp-node config file (textproto, or JSON when the
// file name ends in .json). Every error is one line naming the field.
#ifndef ILP_SERVICES_NODE_CONFIG_H_
#define ILP_SERVICES_NODE_CONFIG_H_

#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "ilp/v1/config.pb.h"

namespace ilp {

// Parses `text` into `msg` (JSON if `json`, else textproto);
// INVALID_ARGUMENT "<name>: line N: <error>".
ABSL_MUST_USE_RESULT absl::Status ParseMessageText(const std::string& text, bool json, absl::string_view name,
                              google::protobuf::Message* msg);

// Reads `path` into `msg`: textproto, or JSON when the name ends in .json.
// NOT_FOUND if unreadable; INVALID_ARGUMENT "<what> <path>: line N: <error>".
ABSL_MUST_USE_RESULT absl::Status LoadMessageFile(const std::string& path, absl::string_view what,
                             google::protobuf::Message* msg);

// Parses and validates `path`, filling defaults. INVALID_ARGUMENT names the
// file and field; NOT_FOUND if the file cannot be read.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::NodeConfig> LoadNodeConfig(const std::string& path);

// Parses and validates a config's text (JSON if `json`, else textproto), as
// LoadNodeConfig does; errors name the config as `name`.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::NodeConfig> ParseNodeConfig(const std::string& text, bool json,
                                               const std::string& name);

// Checks a parsed config and fills defaults (sync interval, batch bytes, skew).
ABSL_MUST_USE_RESULT absl::Status ValidateNodeConfig(v1::NodeConfig* cfg);

}  // namespace ilp

#endif  // ILP_SERVICES_NODE_CONFIG_H_
