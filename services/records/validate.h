// Input rules of the Records API. Each check returns INVALID_ARGUMENT with a
// message that names the field and the rule, e.g.
//   "patient.identifiers[0].value: a NIK must be 16 digits, got 15"
// so an app developer can fix the call without reading our code.
#ifndef ILP_SERVICES_RECORDS_VALIDATE_H_
#define ILP_SERVICES_RECORDS_VALIDATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "ilp/v1/records.pb.h"
#include "ilp/v1/state.pb.h"

namespace ilp {

// How far in the future a date or time may lie for the Records API (a
// client's clock or time zone may lead the node's by up to a day).
inline constexpr int64_t kApiFutureSlackMs = 24LL * 3600 * 1000;
// The same for records arriving by replication: a child's clock may lead by
// up to a year (docs/merge.md, "Wrong clocks"), and its honest writes must
// still be accepted.
inline constexpr int64_t kSyncFutureSlackMs = 366LL * 24 * 3600 * 1000;

// A NIK: 16 digits = area code (province 11-99, regency, district) +
// birth date DDMMYY (day + 40 for women) + 4-digit serial (not 0000).
ABSL_MUST_USE_RESULT absl::Status ValidateNik(absl::string_view nik, absl::string_view field);

// A 10-digit Kemendagri village code (province 11-99; the village part starts
// with 1 for a kelurahan or 2 for a desa).
ABSL_MUST_USE_RESULT absl::Status ValidateVillageCode(absl::string_view code, absl::string_view field);

// An area code of 2, 4, 6 or 10 digits (a node's working area).
ABSL_MUST_USE_RESULT absl::Status ValidateAreaCode(absl::string_view code, absl::string_view field);

// True if area code `code` lies inside one of `area`: one of them is a
// prefix of it ("537103" holds "5371031001").
template <typename Codes>
bool AreaWithin(absl::string_view code, const Codes& area) {
  for (const auto& a : area) {
    if (absl::StartsWith(code, a)) return true;
  }
  return false;
}

// A record id: a lowercase UUID (UUIDv7 recommended). Empty is allowed when
// `allow_empty` (the node then generates one).
ABSL_MUST_USE_RESULT absl::Status ValidateId(absl::string_view id, absl::string_view field, bool allow_empty);

// OK if `known` (the enum's _IsValid(value)); otherwise INVALID_ARGUMENT
// "<field>: <value> is not a known value". A number the enum does not define
// (a newer client, a typo) is unknown, not unspecified.
ABSL_MUST_USE_RESULT absl::Status CheckKnownEnum(absl::string_view field, int value, bool known);

// A node id: 1-64 characters of letters, digits, '-', '_' and '.'.
ABSL_MUST_USE_RESULT absl::Status ValidateNodeId(absl::string_view id, absl::string_view field);

// A calendar date from 1900 up to `future_slack_ms` after `now_ms` (a day
// for the API). `required` rejects an unset date.
ABSL_MUST_USE_RESULT absl::Status ValidateDate(const v1::Date& d, absl::string_view field, int64_t now_ms,
                          bool required, int64_t future_slack_ms = kApiFutureSlackMs);

// Every client-settable field of a patient that `paths` names (all when
// `paths` is empty, as on create). Dates may lie up to `future_slack_ms`
// ahead of `now_ms`; so may times in the validators below.
ABSL_MUST_USE_RESULT absl::Status ValidatePatient(const v1::Patient& p, const std::vector<std::string>& paths,
                             int64_t now_ms, int64_t future_slack_ms = kApiFutureSlackMs);

// Last-writer-wins field paths of a patient ("name", "address.rt", ...): the
// only fields a PatientState version may name.
const std::vector<std::string>& PatientLwwFields();

// One element of a patient's identifier set; `field` names it in messages.
ABSL_MUST_USE_RESULT absl::Status ValidateIdentifier(const v1::Identifier& id, absl::string_view field);
// One element of a patient's allergy set.
ABSL_MUST_USE_RESULT absl::Status ValidateAllergy(const v1::Allergy& a, absl::string_view field);

ABSL_MUST_USE_RESULT absl::Status ValidateEncounter(const v1::Encounter& e, int64_t now_ms,
                               int64_t future_slack_ms = kApiFutureSlackMs);
ABSL_MUST_USE_RESULT absl::Status ValidateObservation(const v1::Observation& o, absl::string_view field,
                                 int64_t now_ms, int64_t future_slack_ms = kApiFutureSlackMs);
ABSL_MUST_USE_RESULT absl::Status ValidateImmunization(const v1::Immunization& i, absl::string_view field,
                                  int64_t now_ms, int64_t future_slack_ms = kApiFutureSlackMs);
ABSL_MUST_USE_RESULT absl::Status ValidateReferral(const v1::Referral& r);
ABSL_MUST_USE_RESULT absl::Status ValidateResponse(const v1::ReferralResponse& r, int64_t now_ms);
// A stored task body (tasks are created by RespondToReferral, never by a
// client); its due date may lie up to ten years after `now_ms`.
ABSL_MUST_USE_RESULT absl::Status ValidateTask(const v1::Task& t, int64_t now_ms);

// Caps on one record, stored state or delta (docs/api.md, "Limits"). No valid
// API write comes near them; a replicated record past one is refused.
struct RecordLimits {
  static constexpr size_t kMaxBytes = 64 * 1024;        // serialized Record
  static constexpr int kMaxIdentifiers = 16;            // per patient (API)
  static constexpr int kMaxAllergies = 32;              // per patient (API)
  static constexpr int kMaxHouseholdMembers = 32;       // per patient (API)
  static constexpr size_t kMaxAllergyText = 200;        // bytes (API)
  // Set elements in one record: an update that replaces every element of
  // full sets touches 2 * (16 + 32 + 32) = 160.
  static constexpr int kMaxElements = 256;
  static constexpr int kMaxStampsPerElement = 64;       // adds, and removes, of one element
  static constexpr size_t kMaxElementKey = 128;         // bytes
  static constexpr size_t kMaxElementValue = 512;       // serialized element bytes
  static constexpr int kMaxMoves = 64;                  // lifecycle moves in one record
  static constexpr size_t kMaxNote = 2000;              // bytes of a move's note
  static constexpr size_t kMaxErrorReason = 1000;       // bytes of an entered-in-error reason
  static constexpr size_t kMaxDigest = 64;              // bytes of create_digest
  static constexpr int kMaxExternalIds = 16;            // external ids of one record
  static constexpr size_t kMaxExternalIdSystem = 256;   // bytes of an external id's system URI
  static constexpr size_t kMaxExternalIdValue = 128;    // bytes of an external id's value
};

// One record as stored or replicated (a state or a delta, from the API or a
// child): `r.id` a lowercase UUID; exactly one body kind; the body by the
// per-kind rules above (a patient: only the fields its versions name, and each
// set element parsed and checked); every stamp unset or sane (valid node id,
// wall_ms and anchor_ms >= 0) and the writing stamps set; external ids only
// on encounters, observations, immunizations and referrals, each with an
// absolute-URI system, a value, a stamp, no key twice; the caps of
// RecordLimits. Dates and times may lie up to `date_slack_ms` after `now_ms`
// (kApiFutureSlackMs for the API, kSyncFutureSlackMs for replication).
// Returns INVALID_ARGUMENT naming the field path and the rule, e.g.
//   record.patient.versions[3].field: unknown patient field "colour"
ABSL_MUST_USE_RESULT absl::Status ValidateRecord(const v1::Record& r, int64_t now_ms, int64_t date_slack_ms);

}  // namespace ilp

#endif  // ILP_SERVICES_RECORDS_VALIDATE_H_
