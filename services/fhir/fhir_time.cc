#include "services/fhir/fhir_time.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ilp::fhir {
namespace {

absl::Status TooEarly(absl::string_view path, absl::string_view got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": ", got, " is before 2014-06-03, which SATUSEHAT refuses"));
}

}  // namespace

absl::StatusOr<std::string> FhirDateTime(int64_t unix_ms, absl::string_view path) {
  const absl::Time t = absl::FromUnixMillis(unix_ms);
  const std::string text = absl::FormatTime("%Y-%m-%dT%H:%M:%S+00:00", t, absl::UTCTimeZone());
  if (unix_ms < kEarliestMs) return TooEarly(path, text);
  return text;
}

absl::StatusOr<std::string> FhirDate(const v1::Date& d, absl::string_view path) {
  const absl::CivilDay day(d.year(), d.month(), d.day());
  if (day.year() != d.year() || day.month() != d.month() || day.day() != d.day()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", d.year(), "-", d.month(), "-", d.day(), " is not a calendar date"));
  }
  const std::string text = absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
  if (day < absl::CivilDay(2014, 6, 3)) return TooEarly(path, text);
  return text;
}

bool IsSatusehatDateTime(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (text.size() == 10) {
    if (!absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) return false;
  } else {
    if (text.size() != 25 || !absl::EndsWith(text, "+00:00")) return false;
    if (!absl::ParseTime("%Y-%m-%dT%H:%M:%S+00:00", text, absl::UTCTimeZone(), &t, &err)) {
      return false;
    }
  }
  return absl::ToUnixMillis(t) >= kEarliestMs;
}

}  // namespace ilp::fhir
