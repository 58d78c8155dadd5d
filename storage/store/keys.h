// Key layout of the node store (see docs/storage.md).
//
//   column family  key                                   value
//   records        <record id>                           v1::Record
//   changelog      <seq, 8 bytes big-endian>             v1::Change
//   index          n\0<nik>\0<patient id>                ""   patient by NIK / mother's NIK
//                  v\0<village code>\0<patient id>       ""   patient by village
//                  m\0<lowercased name>\0<patient id>    ""   patient by name (prefix scans)
//                  s\0<same_as id>\0<patient id>         ""   duplicates linked to a patient
//                  p\0<patient id>\0<kind>\0<record id>  ""   records by patient
//                  t\0<assignee node>\0<task id>         ""   tasks by assignee node
//                  j\0<jti>\0<revocation id>             ""   revocations by token id
//                  a\0<patient id>\0<wall ms, 16 hex>\0<event id>
//                                                        ""   audit events by patient, in time order
//   audit          <event id>                            v1::Record with an audit body
//   lost           <record id>\0<field>\0<losing stamp>  v1::LostWrite
//   quarantine     <from node>\0<BLAKE2b-256 of delta>   v1::QuarantinedDelta  refused from a child
//   default        meta keys (hlc, counts, cursors,      varies
//                  peer/<id>, report/<id>, pending-counters)
//                  satusehat/cursor                      change-log seq the export queue is filled to
//                  satusehat/q/<record id>               v1::ExportEntry  one record's SATUSEHAT export
//                  satusehat/a/<0|1><record id>          ""   entries to send (pending, in flight);
//                                                             0 = encounter, sent before 1 = the rest
//                  satusehat/h/<0|1><record id>          ""   held-back entries, same order
//                  satusehat/r/<record id>               ""   rejected entries
//                  satusehat/counts                      v1::ExportCounts  entries by org and state
//                  satusehat/server_ids_backfilled       "1"  SENT entries' server ids are on their records
#ifndef ILP_STORAGE_STORE_KEYS_H_
#define ILP_STORAGE_STORE_KEYS_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "ilp/v1/state.pb.h"

namespace ilp {

std::string SeqKey(uint64_t seq);
uint64_t SeqFromKey(absl::string_view key);

// Builds an index key from its parts, joined by '\0'.
std::string IndexKey(char tag, std::initializer_list<absl::string_view> parts);

// The last part of an index key (the id it points to).
absl::string_view IndexTarget(absl::string_view key);

// Every index entry a record state implies.
std::set<std::string> IndexEntries(const v1::Record& r);

// The audit index ('a'): one entry per patient an audit event names, ordered
// by the event's HLC wall time: 'a' \0 patient \0 <wall ms, 16 hex digits>
// \0 event id. With an empty `event_id`, the key to seek from for events of
// `patient_id` at or after `wall_ms`.
std::string AuditPatientKey(absl::string_view patient_id, int64_t wall_ms, absl::string_view event_id);

// Key of a lost write in the lost column family.
std::string LostKey(const v1::LostWrite& w);

// Key of a quarantined delta: the sending node and a BLAKE2b-256 digest of
// the delta's bytes, so the same delta resent is kept once.
std::string QuarantineKey(absl::string_view from_node, absl::string_view delta_bytes);

// Lowercased, whitespace-collapsed name for the name index.
std::string NormalizeName(absl::string_view name);

}  // namespace ilp

#endif  // ILP_STORAGE_STORE_KEYS_H_
