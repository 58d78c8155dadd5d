// The table-driven bad-input tests of the Records API (bad_input_test.cc):
// the fixture's fixed ids and clock, valid requests to spoil, one-line
// shorthands for the calls, and the cases by resource (bad_cases_*.cc).
#ifndef ILP_TESTS_RECORDS_BAD_INPUT_H_
#define ILP_TESTS_RECORDS_BAD_INPUT_H_

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/records/records_core.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"
#include "tests/common/temp_dir.h"

namespace ilp::bad_input {

using ::google::protobuf::util::TimeUtil;
using C = absl::StatusCode;
constexpr C kInvalid = C::kInvalidArgument;

constexpr int64_t kNowMs = 1795392000000;  // 2026-11-23T00:00:00Z
constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

// Fixed ids (lowercase UUIDs) so the cases can name records.
constexpr char kPatientId[] = "019ab000-0000-7000-8000-000000000001";
constexpr char kDuplicateId[] = "019ab000-0000-7000-8000-000000000002";
constexpr char kEncounterId[] = "019ab000-0000-7000-8000-000000000003";
constexpr char kObservationId[] = "019ab000-0000-7000-8000-000000000004";
constexpr char kReferralId[] = "019ab000-0000-7000-8000-000000000005";
constexpr char kCancelledReferralId[] = "019ab000-0000-7000-8000-000000000006";
constexpr char kResponseId[] = "019ab000-0000-7000-8000-000000000007";
constexpr char kTaskId[] = "019ab000-0000-7000-8000-000000000008";
// Ids that are never stored by SetUp.
constexpr char kFreshId[] = "019ab000-0000-7000-8000-0000000000f1";
constexpr char kFreshId2[] = "019ab000-0000-7000-8000-0000000000f2";

constexpr char kNik[] = "5371034507900001";  // Kupang, woman born 05-07-1990, serial 0001
constexpr char kVillage[] = "5371031001";

// Valid requests, to spoil one field at a time.
v1::Date MakeDate(int y, int m, int d);
v1::Patient ValidPatient();
v1::Encounter ValidEncounter();
v1::Observation Weight(double kg);
v1::Immunization ValidImmunization();
v1::Referral ValidReferral();

struct BadCase {
  std::string name;
  std::function<absl::Status(RecordsCore&)> call;
  absl::StatusCode code;
  std::string message_part;  // the message must contain this (names the field)
  std::vector<std::string> ids;  // records the call names: must stay absent or unchanged
};

// Adds a case to `cases`: add(name, call, code, message part, ids).
inline auto Adder(std::vector<BadCase>* cases) {
  return [cases](std::string name, std::function<absl::Status(RecordsCore&)> call, C code, std::string part,
                 std::vector<std::string> ids) {
    cases->push_back({std::move(name), std::move(call), code, std::move(part), std::move(ids)});
  };
}

// Shorthands for building cases.
absl::Status Create(RecordsCore& c, const v1::Patient& p);
v1::Patient PatientWithNik(const std::string& nik);
absl::Status Update(RecordsCore& c, const v1::Patient& p, std::vector<std::string> paths);
absl::Status RecordEnc(RecordsCore& c, const v1::Encounter& e, std::vector<v1::Observation> obs = {},
                       std::vector<v1::Immunization> imms = {});
v1::Encounter FreshEncounter();
absl::Status Refer(RecordsCore& c, const v1::Referral& r);
v1::Referral FreshReferral();
absl::Status Transition(RecordsCore& c, const std::string& id, v1::ReferralState to,
                        const std::string& note = "");
absl::Status Respond(RecordsCore& c, const v1::ReferralResponse& r, const std::string& task,
                     const std::string& task_id);
v1::ReferralResponse FreshResponse();
absl::Status MoveTask(RecordsCore& c, const std::string& id, v1::TaskState to, const std::string& note);
absl::Status Find(RecordsCore& c, const std::string& nik, const std::string& prefix,
                  const std::string& village, int page_size = 0);
absl::Status Link(RecordsCore& c, const std::string& dup, const std::string& survivor);
absl::Status Mark(RecordsCore& c, const std::string& id, const std::string& reason);

// The cases, by resource.
std::vector<BadCase> PatientCases();    // CreatePatient, UpdatePatient
std::vector<BadCase> VisitCases();      // RecordEncounter, MarkEnteredInError, LinkPatients
std::vector<BadCase> ReferralCases();   // referrals, tasks, reads

}  // namespace ilp::bad_input

#endif  // ILP_TESTS_RECORDS_BAD_INPUT_H_
