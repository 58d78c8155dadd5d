// The columnar batch encoding (sync protocol version 2, docs/replication.md,
// "Batch encodings"): a batch's serialized Records rewritten so that zstd
// finds what repeats.
//
// It is a transcoding of protobuf's wire format, guided by the Record
// descriptor and exact to the byte: DecodeColumnar(EncodeColumnar(l)) gives
// back the very bytes of every record, unknown fields included, so nothing
// downstream of the decoder changes. What it rewrites:
//   * each field's values go to a column of their own, keyed by the field's
//     path (Record.created.wall_ms is not Observation.time.seconds), and the
//     tags to one stream, which is nearly the same for every record;
//   * integers are stored as the difference from the column's last value;
//   * a string that is a lowercase canonical UUID is 16 bytes the first time
//     in a batch; after, one of its column's last 8 ids (an observation's
//     encounter_id is mostly "the last one") or how far back in the batch;
//   * a string or bytes value equal to one of the column's last 8 is a slot;
//   * a double that is a short decimal (12.3) is its digits.
// The decoder needs no descriptor: the tag stream says how to read each value.
#ifndef ILP_SERVICES_REPLICATION_COLUMNAR_H_
#define ILP_SERVICES_REPLICATION_COLUMNAR_H_

#include <cstddef>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ilp/v1/sync.pb.h"

namespace ilp {

// The columnar bytes (not compressed) of `list`, whose entries are serialized
// ilp.v1.Records. FAILED_PRECONDITION if an entry cannot be transcoded
// exactly (a group, a non-minimal varint, a malformed entry): the caller
// sends the batch in the protobuf encoding instead.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> EncodeColumnar(const v1::ChangeList& list);

// The ChangeList that `data` encodes. INVALID_ARGUMENT, naming what is wrong,
// for anything malformed or if the records would exceed `cap` bytes in all.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::ChangeList> DecodeColumnar(absl::string_view data,
                                                                   size_t cap);

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_COLUMNAR_H_
