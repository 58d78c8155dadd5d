// Input rules of the Records API. Each check returns INVALID_ARGUMENT with a
// message that names the field and the rule, e.g.
//   "patient.identifiers[0].value: a NIK must be 16 digits, got 15"
// so an app developer can fix the call without reading our code.
#ifndef ILP_SERVICES_RECORDS_VALIDATE_H_
#define ILP_SERVICES_RECORDS_VALIDATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ilp/v1/records.pb.h"

namespace ilp {

// A NIK: 16 digits = area code (province 11-99, regency, district) +
// birth date DDMMYY (day + 40 for women) + 4-digit serial (not 0000).
absl::Status ValidateNik(absl::string_view nik, absl::string_view field);

// A 10-digit Kemendagri village code (province 11-99; the village part starts
// with 1 for a kelurahan or 2 for a desa).
absl::Status ValidateVillageCode(absl::string_view code, absl::string_view field);

// An area code of 2, 4, 6 or 10 digits (a node's working area).
absl::Status ValidateAreaCode(absl::string_view code, absl::string_view field);

// A record id: a lowercase UUID (UUIDv7 recommended). Empty is allowed when
// `allow_empty` (the node then generates one).
absl::Status ValidateId(absl::string_view id, absl::string_view field, bool allow_empty);

// A node id: 1-64 characters of letters, digits, '-', '_' and '.'.
absl::Status ValidateNodeId(absl::string_view id, absl::string_view field);

// A calendar date from 1900 up to one day after `now_ms`. `required` rejects
// an unset date.
absl::Status ValidateDate(const v1::Date& d, absl::string_view field, int64_t now_ms,
                          bool required);

// Every client-settable field of a patient that `paths` names (all when
// `paths` is empty, as on create).
absl::Status ValidatePatient(const v1::Patient& p, const std::vector<std::string>& paths,
                             int64_t now_ms);

absl::Status ValidateEncounter(const v1::Encounter& e, int64_t now_ms);
absl::Status ValidateObservation(const v1::Observation& o, absl::string_view field,
                                 int64_t now_ms);
absl::Status ValidateImmunization(const v1::Immunization& i, absl::string_view field,
                                  int64_t now_ms);
absl::Status ValidateReferral(const v1::Referral& r);
absl::Status ValidateResponse(const v1::ReferralResponse& r, int64_t now_ms);

}  // namespace ilp

#endif  // ILP_SERVICES_RECORDS_VALIDATE_H_
