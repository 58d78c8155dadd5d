// Reflection helpers over dotted field paths ("address.rt") of protobuf
// messages; used by the per-field last-writer-wins merge.
#ifndef ILP_STORAGE_MERGE_FIELD_PATH_H_
#define ILP_STORAGE_MERGE_FIELD_PATH_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace ilp {

// True if `path` names a singular (non-repeated) field reachable through
// singular message fields of `descriptor`.
bool IsSingularFieldPath(const google::protobuf::Descriptor* descriptor, absl::string_view path);

// Sets `path` in `*dst` to its value in `src` (clearing it if unset there).
// REQUIRES: IsSingularFieldPath(src.GetDescriptor(), path); same message types.
void CopyFieldPath(const google::protobuf::Message& src, google::protobuf::Message* dst,
                   absl::string_view path);

// The value at `path` as protobuf text ("" when unset), for operators.
std::string FieldPathText(const google::protobuf::Message& msg, absl::string_view path);

}  // namespace ilp

#endif  // ILP_STORAGE_MERGE_FIELD_PATH_H_
