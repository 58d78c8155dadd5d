#include "tests/fuzz/records_calls.h"

#include <cstdlib>
#include <type_traits>

namespace ilp::fuzz {
namespace {

template <typename Req, typename Method>
RecordsCall Make(const char* name, bool writes, Method method) {
  return {name, writes,
          [method](RecordsCore* api, const std::string& body) -> std::optional<absl::Status> {
            Req req;
            if (!req.ParseFromString(body)) return std::nullopt;
            // Write calls take an optional WriteAudit*; a default argument does not
            // apply through a member pointer, so pass the default (no audit) here.
            if constexpr (std::is_invocable_v<Method, RecordsCore*, const Req&>) {
              return (api->*method)(req).status();
            } else {
              return (api->*method)(req, nullptr).status();
            }
          }};
}

}  // namespace

const std::vector<RecordsCall>& RecordsCalls() {
  using C = RecordsCore;
  static const auto* calls = new std::vector<RecordsCall>{
      Make<v1::CreatePatientRequest>("CreatePatient", true, &C::CreatePatient),
      Make<v1::UpdatePatientRequest>("UpdatePatient", true, &C::UpdatePatient),
      Make<v1::GetPatientRequest>("GetPatient", false, &C::GetPatient),
      Make<v1::FindPatientsRequest>("FindPatients", false, &C::FindPatients),
      Make<v1::LinkPatientsRequest>("LinkPatients", true, &C::LinkPatients),
      Make<v1::RecordEncounterRequest>("RecordEncounter", true, &C::RecordEncounter),
      Make<v1::MarkEnteredInErrorRequest>("MarkEnteredInError", true, &C::MarkEnteredInError),
      Make<v1::CreateReferralRequest>("CreateReferral", true, &C::CreateReferral),
      Make<v1::GetReferralRequest>("GetReferral", false, &C::GetReferral),
      Make<v1::TransitionReferralRequest>("TransitionReferral", true, &C::TransitionReferral),
      Make<v1::RespondToReferralRequest>("RespondToReferral", true, &C::RespondToReferral),
      Make<v1::UpdateTaskRequest>("UpdateTask", true, &C::UpdateTask),
      Make<v1::ListPatientHistoryRequest>("ListPatientHistory", false, &C::ListPatientHistory),
      Make<v1::ListTasksRequest>("ListTasks", false, &C::ListTasks),
  };
  return *calls;
}

uint8_t RecordsCallIndex(const std::string& name) {
  for (size_t i = 0; i < RecordsCalls().size(); ++i) {
    if (name == RecordsCalls()[i].name) return static_cast<uint8_t>(i);
  }
  std::abort();
}

}  // namespace ilp::fuzz
