#include "services/records/validate.h"

#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "storage/util/ids.h"
#include "storage/util/status_macros.h"
#include "storage/merge/view.h"

namespace ilp {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kYear1900Ms = -2208988800000LL;
constexpr int64_t kTenYearsMs = 3650 * kDayMs;  // "10 years" in messages

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

int Num(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "a day", "366 days": how far ahead of now a date may lie.
std::string SlackText(int64_t slack_ms) {
  const int64_t days = slack_ms / kDayMs;
  if (days * kDayMs != slack_ms) return absl::StrCat(slack_ms, " ms");
  if (days >= 365 && days % 365 == 0) return absl::StrCat(days / 365, " years");
  return days == 1 ? "a day" : absl::StrCat(days, " days");
}

absl::Status ValidateTime(const google::protobuf::Timestamp& t, absl::string_view field,
                          int64_t now_ms, int64_t slack_ms) {
  if (t.seconds() == 0 && t.nanos() == 0) return Bad(field, "is required");
  if (t.nanos() < 0 || t.nanos() > 999999999) return Bad(field, "is not a valid timestamp (nanos out of range)");
  using google::protobuf::util::TimeUtil;
  if (t.seconds() < TimeUtil::kTimestampMinSeconds || t.seconds() > TimeUtil::kTimestampMaxSeconds) {
    return Bad(field, "is not a valid timestamp (seconds outside years 1 to 9999)");
  }
  const int64_t ms = TimeUtil::TimestampToMilliseconds(t);
  if (ms > now_ms + slack_ms) {
    return Bad(field, absl::StrCat("must be no more than ", SlackText(slack_ms), " in the future"));
  }
  if (ms < kYear1900Ms) return Bad(field, "must not be before 1900");
  return absl::OkStatus();
}

absl::Status ValidateLength(absl::string_view s, absl::string_view field, size_t max,
                            bool required) {
  if (required && absl::StripAsciiWhitespace(s).empty()) return Bad(field, "is required");
  if (s.size() > max) return Bad(field, absl::StrCat("must be at most ", max, " bytes"));
  return absl::OkStatus();
}

absl::Status IdentifierRules(const v1::Identifier& id, const std::string& field) {
  const std::string vf = field + ".value";
  switch (id.system()) {
    case v1::NIK:
    case v1::NIK_IBU:
      return ValidateNik(id.value(), vf);
    case v1::KK:
      if (id.value().size() != 16 || !AllDigits(id.value())) {
        return Bad(vf, absl::StrCat("a family card (KK) number must be 16 digits, got \"",
                                    id.value(), "\""));
      }
      return absl::OkStatus();
    case v1::BPJS:
      if (id.value().size() != 13 || !AllDigits(id.value())) {
        return Bad(vf, absl::StrCat("a BPJS number must be 13 digits, got \"", id.value(), "\""));
      }
      return absl::OkStatus();
    case v1::IHS: {
      bool ok = !id.value().empty() && id.value().size() <= 32;
      for (char c : id.value()) ok = ok && absl::ascii_isalnum(static_cast<unsigned char>(c));
      if (!ok) return Bad(vf, "an IHS number must be 1-32 letters or digits");
      return absl::OkStatus();
    }
    default:
      ILP_RETURN_IF_ERROR(CheckKnownEnum(field + ".system", id.system(),
                                         v1::IdentifierSystem_IsValid(id.system())));
      return Bad(field + ".system", "must be one of NIK, NIK_IBU, KK, IHS, BPJS");
  }
}

absl::Status ValidatePhone(absl::string_view phone, absl::string_view field) {
  if (phone.empty()) return absl::OkStatus();
  absl::string_view digits = absl::StartsWith(phone, "+") ? phone.substr(1) : phone;
  if (!AllDigits(digits) || digits.size() < 6 || digits.size() > 15) {
    return Bad(field, "a phone number must be 6-15 digits with an optional leading +");
  }
  return absl::OkStatus();
}

bool Wants(const std::vector<std::string>& paths, absl::string_view path) {
  if (paths.empty()) return true;
  for (const auto& p : paths) {
    if (p == path || absl::StartsWith(p, absl::StrCat(path, "."))) return true;
  }
  return false;
}

struct Range {
  const char* loinc;
  const char* name;
  const char* unit;
  double lo, hi;
};

// Plausibility ranges of the measures ILP records most.
constexpr Range kRanges[] = {
    {"29463-7", "body weight", "kg", 0.3, 300},
    {"8302-2", "body height", "cm", 20, 250},
    {"8480-6", "systolic blood pressure", "mm[Hg]", 50, 300},
    {"8462-4", "diastolic blood pressure", "mm[Hg]", 20, 200},
    {"9843-4", "head circumference", "cm", 20, 70},
    {"56072-2", "mid-upper arm circumference", "cm", 5, 60},
    {"8310-5", "body temperature", "Cel", 25, 45},
    {"2339-0", "blood glucose", "mg/dL", 10, 1000},
};

}  // namespace

absl::Status CheckKnownEnum(absl::string_view field, int value, bool known) {
  if (known) return absl::OkStatus();
  return Bad(field, absl::StrCat(value, " is not a known value"));
}

const std::vector<std::string>& PatientLwwFields() {
  static const auto* kFields = new std::vector<std::string>{
      "name", "birth_date", "birth_date_precision", "sex", "address.village_code",
      "address.dusun", "address.rw", "address.rt", "address.line", "phone", "deceased",
      "deceased_date", "same_as"};
  return *kFields;
}

absl::Status ValidateIdentifier(const v1::Identifier& id, absl::string_view field) {
  return IdentifierRules(id, std::string(field));
}

absl::Status ValidateAllergy(const v1::Allergy& a, absl::string_view field) {
  const std::string f(field);
  ILP_RETURN_IF_ERROR(ValidateLength(a.code(), f + ".code", 64, true));
  return ValidateLength(a.text(), f + ".text", RecordLimits::kMaxAllergyText, false);
}

absl::Status ValidateNik(absl::string_view nik, absl::string_view field) {
  if (nik.size() != 16 || !AllDigits(nik)) {
    return Bad(field, absl::StrCat("a NIK must be 16 digits, got \"", nik, "\""));
  }
  const int prov = Num(nik.substr(0, 2));
  if (prov < 11) return Bad(field, absl::StrCat("a NIK must start with a province code 11-99, got ", prov));
  if (Num(nik.substr(2, 2)) == 0) return Bad(field, "a NIK's regency code (digits 3-4) must not be 00");
  int day = Num(nik.substr(6, 2));
  const int month = Num(nik.substr(8, 2));
  const int yy = Num(nik.substr(10, 2));
  if (day > 40) day -= 40;
  if (month < 1 || month > 12) {
    return Bad(field, absl::StrCat("a NIK's birth month (digits 9-10) must be 01-12, got ", month));
  }
  // The century is unknown; allow Feb 29 (some century makes it valid).
  const int max_day = month == 2 ? 29 : DaysInMonth(2001, month);
  if (day < 1 || day > max_day) {
    return Bad(field, absl::StrCat("a NIK's birth day (digits 7-8) must be 01-", max_day,
                                   " (41-", 40 + max_day, " for women), got ",
                                   Num(nik.substr(6, 2))));
  }
  (void)yy;
  if (Num(nik.substr(12, 4)) == 0) return Bad(field, "a NIK's serial (digits 13-16) must not be 0000");
  return absl::OkStatus();
}

absl::Status ValidateVillageCode(absl::string_view code, absl::string_view field) {
  if (code.size() != 10 || !AllDigits(code)) {
    return Bad(field, absl::StrCat("a village code has 10 digits (PPKKCCVVVV, no dots), got \"",
                                   code, "\""));
  }
  if (Num(code.substr(0, 2)) < 11) return Bad(field, "a village code must start with a province code 11-99");
  if (code[6] != '1' && code[6] != '2') {
    return Bad(field, "a village code's village part must start with 1 (kelurahan) or 2 (desa)");
  }
  return absl::OkStatus();
}

absl::Status ValidateAreaCode(absl::string_view code, absl::string_view field) {
  if (code.size() == 10) return ValidateVillageCode(code, field);
  if ((code.size() != 2 && code.size() != 4 && code.size() != 6) || !AllDigits(code)) {
    return Bad(field, absl::StrCat("an area code has 2, 4, 6 or 10 digits, got \"", code, "\""));
  }
  return absl::OkStatus();
}

absl::Status ValidateId(absl::string_view id, absl::string_view field, bool allow_empty) {
  if (id.empty()) return allow_empty ? absl::OkStatus() : Bad(field, "is required");
  if (!IsValidUuid(id)) {
    return Bad(field, absl::StrCat("must be a lowercase UUID such as a UUIDv7, got \"", id, "\""));
  }
  return absl::OkStatus();
}

absl::Status ValidateNodeId(absl::string_view id, absl::string_view field) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  }
  if (!ok) return Bad(field, "a node id is 1-64 letters, digits, '-', '_' or '.'");
  return absl::OkStatus();
}

absl::Status ValidateDate(const v1::Date& d, absl::string_view field, int64_t now_ms,
                          bool required, int64_t future_slack_ms) {
  if (d.year() == 0 && d.month() == 0 && d.day() == 0) {
    return required ? Bad(field, "is required") : absl::OkStatus();
  }
  if (d.year() < 1900 || d.month() < 1 || d.month() > 12 || d.day() < 1 ||
      d.day() > DaysInMonth(d.year(), d.month())) {
    return Bad(field, absl::StrCat("is not a valid calendar date from 1900: ", d.year(), "-",
                                   d.month(), "-", d.day()));
  }
  if (DaysFromCivil(d.year(), d.month(), d.day()) * kDayMs > now_ms + future_slack_ms) {
    return Bad(field, absl::StrCat("must be no more than ", SlackText(future_slack_ms),
                                   " in the future"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePatient(const v1::Patient& p, const std::vector<std::string>& paths,
                             int64_t now_ms, int64_t future_slack_ms) {
  if (paths.empty()) ILP_RETURN_IF_ERROR(ValidateLength(p.name(), "patient.name", 200, true));
  if (!paths.empty() && Wants(paths, "name")) {
    ILP_RETURN_IF_ERROR(ValidateLength(p.name(), "patient.name", 200, true));
  }
  if (Wants(paths, "identifiers")) {
    if (p.identifiers_size() > RecordLimits::kMaxIdentifiers) {
      return Bad("patient.identifiers", absl::StrCat("at most ", RecordLimits::kMaxIdentifiers,
                                                     " identifiers, got ", p.identifiers_size()));
    }
    std::set<std::string> keys;
    for (int i = 0; i < p.identifiers_size(); ++i) {
      const std::string f = absl::StrCat("patient.identifiers[", i, "]");
      ILP_RETURN_IF_ERROR(IdentifierRules(p.identifiers(i), f));
      if (!keys.insert(IdentifierKey(p.identifiers(i))).second) {
        return Bad(f, "duplicates an earlier identifier; identifiers are a set");
      }
    }
  }
  if (Wants(paths, "birth_date")) {
    ILP_RETURN_IF_ERROR(ValidateDate(p.birth_date(), "patient.birth_date", now_ms, false, future_slack_ms));
  }
  if (Wants(paths, "address.village_code") && !(paths.empty() && p.address().village_code().empty())) {
    ILP_RETURN_IF_ERROR(ValidateVillageCode(p.address().village_code(), "patient.address.village_code"));
  }
  if (Wants(paths, "address.rt") && !p.address().rt().empty() && (!AllDigits(p.address().rt()) || p.address().rt().size() > 3)) {
    return Bad("patient.address.rt", "an RT number is 1-3 digits");
  }
  if (Wants(paths, "address.rw") && !p.address().rw().empty() && (!AllDigits(p.address().rw()) || p.address().rw().size() > 3)) {
    return Bad("patient.address.rw", "an RW number is 1-3 digits");
  }
  if (Wants(paths, "address.dusun")) ILP_RETURN_IF_ERROR(ValidateLength(p.address().dusun(), "patient.address.dusun", 100, false));
  if (Wants(paths, "address.line")) ILP_RETURN_IF_ERROR(ValidateLength(p.address().line(), "patient.address.line", 300, false));
  if (Wants(paths, "phone")) ILP_RETURN_IF_ERROR(ValidatePhone(p.phone(), "patient.phone"));
  if (Wants(paths, "sex")) {
    ILP_RETURN_IF_ERROR(CheckKnownEnum("patient.sex", p.sex(), v1::Sex_IsValid(p.sex())));
  }
  if (Wants(paths, "birth_date_precision") && !v1::DatePrecision_IsValid(p.birth_date_precision())) {
    return CheckKnownEnum("patient.birth_date_precision", p.birth_date_precision(), false);
  }
  if (Wants(paths, "deceased_date")) {
    ILP_RETURN_IF_ERROR(ValidateDate(p.deceased_date(), "patient.deceased_date", now_ms, false, future_slack_ms));
    if (p.has_deceased_date() && !p.deceased() && paths.empty()) {
      return Bad("patient.deceased_date", "may be set only when deceased is true");
    }
  }
  if (Wants(paths, "allergies")) {
    if (p.allergies_size() > RecordLimits::kMaxAllergies) {
      return Bad("patient.allergies", absl::StrCat("at most ", RecordLimits::kMaxAllergies,
                                                   " allergies, got ", p.allergies_size()));
    }
    std::set<std::string> codes;
    for (int i = 0; i < p.allergies_size(); ++i) {
      const std::string f = absl::StrCat("patient.allergies[", i, "]");
      ILP_RETURN_IF_ERROR(ValidateAllergy(p.allergies(i), f));
      if (!codes.insert(p.allergies(i).code()).second) {
        return Bad(f + ".code", "duplicates an earlier allergy");
      }
    }
  }
  if (Wants(paths, "household_members")) {
    if (p.household_members_size() > RecordLimits::kMaxHouseholdMembers) {
      return Bad("patient.household_members",
                 absl::StrCat("at most ", RecordLimits::kMaxHouseholdMembers, " members, got ",
                              p.household_members_size()));
    }
    std::set<std::string> ids;
    for (int i = 0; i < p.household_members_size(); ++i) {
      const std::string f = absl::StrCat("patient.household_members[", i, "]");
      ILP_RETURN_IF_ERROR(ValidateId(p.household_members(i), f, false));
      if (!ids.insert(p.household_members(i)).second) return Bad(f, "duplicates an earlier member");
    }
  }
  if (paths.empty() && !p.same_as().empty()) return Bad("patient.same_as", "is set by LinkPatients, not on create");
  return absl::OkStatus();
}

absl::Status ValidateEncounter(const v1::Encounter& e, int64_t now_ms, int64_t future_slack_ms) {
  ILP_RETURN_IF_ERROR(ValidateId(e.id(), "encounter.id", true));
  ILP_RETURN_IF_ERROR(ValidateId(e.patient_id(), "encounter.patient_id", false));
  ILP_RETURN_IF_ERROR(
      CheckKnownEnum("encounter.kind", e.kind(), v1::EncounterKind_IsValid(e.kind())));
  if (e.kind() == v1::ENCOUNTER_KIND_UNSPECIFIED) {
    return Bad("encounter.kind", "must be set to a known kind (e.g. POSYANDU_SESSION)");
  }
  ILP_RETURN_IF_ERROR(CheckKnownEnum("encounter.life_stage", e.life_stage(),
                                     v1::LifeStage_IsValid(e.life_stage())));
  if (!e.node().empty()) ILP_RETURN_IF_ERROR(ValidateNodeId(e.node(), "encounter.node"));
  ILP_RETURN_IF_ERROR(ValidateLength(e.performer(), "encounter.performer", 200, false));
  ILP_RETURN_IF_ERROR(ValidateTime(e.time(), "encounter.time", now_ms, future_slack_ms));
  if (e.status() != v1::RECORD_STATUS_UNSPECIFIED) {
    return Bad("encounter.status", "is output only; use MarkEnteredInError");
  }
  if (e.external_ids_size() > 0) return Bad("encounter.external_ids", "is output only");
  return ValidateId(e.replaces(), "encounter.replaces", true);
}

absl::Status ValidateObservation(const v1::Observation& o, absl::string_view field,
                                 int64_t now_ms, int64_t future_slack_ms) {
  const std::string f(field);
  ILP_RETURN_IF_ERROR(ValidateId(o.id(), f + ".id", true));
  bool loinc_ok = o.loinc().size() >= 3 && o.loinc().size() <= 10;
  size_t dash = o.loinc().find('-');
  loinc_ok = loinc_ok && dash != std::string::npos && dash + 2 == o.loinc().size() &&
             AllDigits(absl::string_view(o.loinc()).substr(0, dash)) &&
             AllDigits(absl::string_view(o.loinc()).substr(dash + 1));
  if (!std::isfinite(o.value())) return Bad(f + ".value", "must be a finite number");
  if (!loinc_ok) return Bad(f + ".loinc", absl::StrCat("must be a LOINC code like 29463-7, got \"", o.loinc(), "\""));
  for (const Range& r : kRanges) {
    if (o.loinc() != r.loinc) continue;
    if (o.unit() != r.unit) {
      return Bad(f + ".unit", absl::StrCat(r.name, " (", r.loinc, ") must be in ", r.unit, ", got \"", o.unit(), "\""));
    }
    if (!(o.value() >= r.lo && o.value() <= r.hi)) {
      return Bad(f + ".value", absl::StrCat(r.name, " must be ", r.lo, "-", r.hi, " ", r.unit, ", got ", o.value()));
    }
  }
  if (o.unit().empty()) return Bad(f + ".unit", "is required");
  ILP_RETURN_IF_ERROR(ValidateLength(o.method(), f + ".method", 200, false));
  if (o.has_time()) ILP_RETURN_IF_ERROR(ValidateTime(o.time(), f + ".time", now_ms, future_slack_ms));
  if (o.status() != v1::RECORD_STATUS_UNSPECIFIED) return Bad(f + ".status", "is output only");
  if (o.external_ids_size() > 0) return Bad(f + ".external_ids", "is output only");
  return ValidateId(o.replaces(), f + ".replaces", true);
}

absl::Status ValidateImmunization(const v1::Immunization& i, absl::string_view field,
                                  int64_t now_ms, int64_t future_slack_ms) {
  const std::string f(field);
  ILP_RETURN_IF_ERROR(ValidateId(i.id(), f + ".id", true));
  ILP_RETURN_IF_ERROR(ValidateLength(i.kfa_code(), f + ".kfa_code", 64, true));
  ILP_RETURN_IF_ERROR(ValidateLength(i.antigen(), f + ".antigen", 64, true));
  if (i.dose_number() < 1 || i.dose_number() > 10) {
    return Bad(f + ".dose_number", absl::StrCat("must be 1-10, got ", i.dose_number()));
  }
  ILP_RETURN_IF_ERROR(ValidateLength(i.lot(), f + ".lot", 64, false));
  ILP_RETURN_IF_ERROR(ValidateDate(i.date(), f + ".date", now_ms, true, future_slack_ms));
  if (i.status() != v1::RECORD_STATUS_UNSPECIFIED) return Bad(f + ".status", "is output only");
  if (i.external_ids_size() > 0) return Bad(f + ".external_ids", "is output only");
  return ValidateId(i.replaces(), f + ".replaces", true);
}

absl::Status ValidateReferral(const v1::Referral& r) {
  ILP_RETURN_IF_ERROR(ValidateId(r.id(), "referral.id", true));
  ILP_RETURN_IF_ERROR(ValidateId(r.patient_id(), "referral.patient_id", false));
  ILP_RETURN_IF_ERROR(ValidateId(r.encounter_id(), "referral.encounter_id", true));
  if (!r.from_node().empty()) ILP_RETURN_IF_ERROR(ValidateNodeId(r.from_node(), "referral.from_node"));
  ILP_RETURN_IF_ERROR(ValidateNodeId(r.to_node(), "referral.to_node"));
  if (r.to_node() == r.from_node()) return Bad("referral.to_node", "must differ from from_node");
  ILP_RETURN_IF_ERROR(ValidateLength(r.reason(), "referral.reason", 1000, true));
  ILP_RETURN_IF_ERROR(
      CheckKnownEnum("referral.priority", r.priority(), v1::Priority_IsValid(r.priority())));
  if (r.state() != v1::REFERRAL_STATE_UNSPECIFIED) {
    return Bad("referral.state", "is output only; a new referral starts SENT");
  }
  if (r.history_size() > 0) return Bad("referral.history", "is output only");
  if (r.has_create_time()) return Bad("referral.create_time", "is output only");
  if (r.external_ids_size() > 0) return Bad("referral.external_ids", "is output only");
  return absl::OkStatus();
}

absl::Status ValidateResponse(const v1::ReferralResponse& r, int64_t now_ms) {
  ILP_RETURN_IF_ERROR(ValidateId(r.id(), "response.id", true));
  ILP_RETURN_IF_ERROR(ValidateId(r.referral_id(), "response.referral_id", false));
  ILP_RETURN_IF_ERROR(ValidateId(r.patient_id(), "response.patient_id", true));
  if (!r.from_node().empty()) return Bad("response.from_node", "is output only (the answering node)");
  if (r.has_time()) return Bad("response.time", "is output only");
  if (r.status() != v1::RECORD_STATUS_UNSPECIFIED) return Bad("response.status", "is output only");
  ILP_RETURN_IF_ERROR(ValidateLength(r.diagnosis(), "response.diagnosis", 1000, true));
  ILP_RETURN_IF_ERROR(ValidateLength(r.treatment(), "response.treatment", 2000, false));
  ILP_RETURN_IF_ERROR(ValidateLength(r.instructions(), "response.instructions", 2000, false));
  // A control date may lie up to ten years in the future.
  return ValidateDate(r.next_control_date(), "response.next_control_date", now_ms, false,
                      kTenYearsMs);
}

absl::Status ValidateTask(const v1::Task& t, int64_t now_ms) {
  ILP_RETURN_IF_ERROR(ValidateId(t.id(), "task.id", true));
  ILP_RETURN_IF_ERROR(ValidateId(t.patient_id(), "task.patient_id", false));
  ILP_RETURN_IF_ERROR(ValidateId(t.origin_id(), "task.origin_id", true));
  ILP_RETURN_IF_ERROR(ValidateNodeId(t.assignee_node(), "task.assignee_node"));
  ILP_RETURN_IF_ERROR(ValidateLength(t.description(), "task.description", 2000, true));
  // A due date may lie far in the future, like a back-referral's control date.
  ILP_RETURN_IF_ERROR(ValidateDate(t.due_date(), "task.due_date", now_ms, false, kTenYearsMs));
  if (t.state() != v1::TASK_STATE_UNSPECIFIED) return Bad("task.state", "is output only");
  if (!t.outcome().empty()) return Bad("task.outcome", "is output only");
  if (t.history_size() > 0) return Bad("task.history", "is output only");
  if (!t.origin_node().empty()) return Bad("task.origin_node", "is output only");
  return absl::OkStatus();
}

}  // namespace ilp
