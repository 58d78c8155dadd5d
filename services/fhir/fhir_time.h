// FHIR dateTime and date text as SATUSEHAT accepts it: every time in UTC with
// an explicit "+00:00" offset, second precision, and nothing before
// 2014-06-03 (the platform refuses earlier dates).
//
//   ILP_ASSIGN_OR_RETURN(std::string t, FhirDateTime(ms, "Encounter.period.start"));
//   // "2024-05-06T02:30:00+00:00"
#ifndef ILP_SERVICES_FHIR_FHIR_TIME_H_
#define ILP_SERVICES_FHIR_FHIR_TIME_H_

#include <cstdint>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ilp/v1/records.pb.h"

namespace ilp::fhir {

// 2014-06-03T00:00:00Z in ms since the epoch: the earliest instant SATUSEHAT accepts.
inline constexpr int64_t kEarliestMs = 1401753600000;

// `unix_ms` as "YYYY-MM-DDThh:mm:ss+00:00". INVALID_ARGUMENT naming `path`
// when it is before 2014-06-03.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> FhirDateTime(int64_t unix_ms, absl::string_view path);

// A calendar date as "YYYY-MM-DD". INVALID_ARGUMENT naming `path` when it is
// not a real date or is before 2014-06-03.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> FhirDate(const v1::Date& d, absl::string_view path);

// True if `text` is a dateTime this layer produces or a plain date, at or
// after 2014-06-03, in UTC ("+00:00") when it has a time. Used by the validator.
bool IsSatusehatDateTime(absl::string_view text);

}  // namespace ilp::fhir

#endif  // ILP_SERVICES_FHIR_FHIR_TIME_H_
