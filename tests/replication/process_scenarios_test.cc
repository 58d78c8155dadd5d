// Domain scenarios 2, 3 and 5 across real ilp-node processes on 127.0.0.1
// (ephemeral ports), syncing every second. A link goes down by restarting
// the child with an unreachable parent address.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "google/protobuf/util/time_util.h"
#include "tests/replication/process_chain.h"

namespace ilp {
namespace {

using testing::DistrictChain;
using testing::WaitUntil;
constexpr char kMawar[] = "5371031001";

template <typename Req, typename Resp>
grpc::Status Call(v1::Records::Stub* stub,
                  grpc::Status (v1::Records::Stub::*m)(grpc::ClientContext*, const Req&, Resp*),
                  const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return (stub->*m)(&ctx, req, resp);
}

v1::Patient NewPatient(v1::Records::Stub* api, const char* name) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(name);
  req.mutable_patient()->mutable_address()->set_village_code(kMawar);
  v1::Patient p;
  EXPECT_TRUE(Call(api, &v1::Records::Stub::CreatePatient, req, &p).ok());
  return p;
}

bool HasPatient(v1::Records::Stub* api, const std::string& id, v1::Patient* out = nullptr) {
  v1::GetPatientRequest get;
  get.set_id(id);
  v1::Patient p;
  bool ok = Call(api, &v1::Records::Stub::GetPatient, get, &p).ok();
  if (ok && out) *out = p;
  return ok;
}

v1::Referral GetReferral(v1::Records::Stub* api, const std::string& id) {
  v1::GetReferralRequest get;
  get.set_id(id);
  v1::Referral r;
  (void)Call(api, &v1::Records::Stub::GetReferral, get, &r);
  return r;
}

grpc::Status Move(v1::Records::Stub* api, const std::string& id, v1::ReferralState s) {
  v1::TransitionReferralRequest t;
  t.set_id(id);
  t.set_to_state(s);
  v1::Referral r;
  return Call(api, &v1::Records::Stub::TransitionReferral, t, &r);
}

TEST(ProcessScenarioTest, GrowthFalteringRoundTripAcrossFourTiers) {
  DistrictChain d;
  ASSERT_TRUE(d.Start());
  v1::Patient child = NewPatient(d.api("pos-mawar"), "Budi Santoso");
  v1::RecordEncounterRequest enc;
  enc.mutable_encounter()->set_patient_id(child.id());
  enc.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
  *enc.mutable_encounter()->mutable_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  auto* o = enc.add_observations();
  o->set_loinc("29463-7");
  o->set_value(7.9);
  o->set_unit("kg");
  v1::RecordEncounterResponse er;
  ASSERT_TRUE(Call(d.api("pos-mawar"), &v1::Records::Stub::RecordEncounter, enc, &er).ok());
  v1::CreateReferralRequest rr;
  rr.mutable_referral()->set_patient_id(child.id());
  rr.mutable_referral()->set_to_node("pkm-oebobo");
  rr.mutable_referral()->set_reason("weight faltering");
  v1::Referral ref;
  ASSERT_TRUE(Call(d.api("pos-mawar"), &v1::Records::Stub::CreateReferral, rr, &ref).ok());

  ASSERT_TRUE(WaitUntil([&] { return GetReferral(d.api("pkm-oebobo"), ref.id()).id() == ref.id(); }));
  v1::RespondToReferralRequest answer;
  answer.mutable_response()->set_referral_id(ref.id());
  answer.mutable_response()->set_diagnosis("moderate underweight");
  answer.set_task_description("re-weigh in 2 weeks");
  v1::RespondToReferralResponse back;
  ASSERT_TRUE(Call(d.api("pkm-oebobo"), &v1::Records::Stub::RespondToReferral, answer, &back).ok());
  v1::ListTasksResponse tasks;
  ASSERT_TRUE(WaitUntil([&] {
    return Call(d.api("pos-mawar"), &v1::Records::Stub::ListTasks, v1::ListTasksRequest(), &tasks).ok() &&
           tasks.tasks_size() == 1;
  }));
  v1::UpdateTaskRequest done;
  done.set_id(tasks.tasks(0).id());
  done.set_to_state(v1::TASK_COMPLETED);
  done.set_note("8.4 kg");
  v1::Task t;
  ASSERT_TRUE(Call(d.api("pos-mawar"), &v1::Records::Stub::UpdateTask, done, &t).ok());
  v1::ListTasksRequest at_district;
  at_district.set_node("pos-mawar");
  at_district.set_include_closed(true);
  EXPECT_TRUE(WaitUntil([&] {
    v1::ListTasksResponse up;
    return Call(d.api("dinkes-kupang"), &v1::Records::Stub::ListTasks, at_district, &up).ok() &&
           up.tasks_size() == 1 && up.tasks(0).outcome() == "8.4 kg";
  }));
  EXPECT_FALSE(HasPatient(d.api("pos-melati"), child.id()));  // the sibling never sees it
  d.StopAll();
}

TEST(ProcessScenarioTest, ConcurrentEditsWhileThePathIsDownBothSurvive) {
  DistrictChain d;
  ASSERT_TRUE(d.Start());
  v1::Patient baby = NewPatient(d.api("pos-mawar"), "Bayi Ny. Siti");
  ASSERT_TRUE(WaitUntil([&] { return HasPatient(d.api("pkm-oebobo"), baby.id()); }));
  ASSERT_TRUE(d.SetLink("pos-mawar", false));
  v1::UpdatePatientRequest nik;
  nik.mutable_patient()->set_id(baby.id());
  auto* id = nik.mutable_patient()->add_identifiers();
  id->set_system(v1::NIK);
  id->set_value("5371035011260001");
  nik.mutable_update_mask()->add_paths("identifiers");
  v1::Patient out;
  ASSERT_TRUE(Call(d.api("pkm-oebobo"), &v1::Records::Stub::UpdatePatient, nik, &out).ok());
  v1::UpdatePatientRequest rt;
  rt.mutable_patient()->set_id(baby.id());
  rt.mutable_patient()->mutable_address()->set_rt("7");
  rt.mutable_update_mask()->add_paths("address.rt");
  ASSERT_TRUE(Call(d.api("pos-mawar"), &v1::Records::Stub::UpdatePatient, rt, &out).ok());
  ASSERT_TRUE(d.SetLink("pos-mawar", true));
  for (const char* node : {"pos-mawar", "pustu-oetete", "pkm-oebobo", "dinkes-kupang"}) {
    EXPECT_TRUE(WaitUntil([&] {
      v1::Patient p;
      return HasPatient(d.api(node), baby.id(), &p) && p.address().rt() == "7" &&
             p.identifiers_size() == 1;
    })) << node;
  }
  d.StopAll();
}

TEST(ProcessScenarioTest, ReferralRaceEndsCompletedOnEveryTier) {
  DistrictChain d;
  ASSERT_TRUE(d.Start());
  v1::Patient p = NewPatient(d.api("pustu-oetete"), "Yohanes Lado");
  v1::CreateReferralRequest rr;
  rr.mutable_referral()->set_patient_id(p.id());
  rr.mutable_referral()->set_to_node("pkm-oebobo");
  rr.mutable_referral()->set_reason("BP 190/110");
  v1::Referral ref;
  ASSERT_TRUE(Call(d.api("pustu-oetete"), &v1::Records::Stub::CreateReferral, rr, &ref).ok());
  ASSERT_TRUE(WaitUntil([&] { return GetReferral(d.api("pkm-oebobo"), ref.id()).id() == ref.id(); }));
  ASSERT_TRUE(d.SetLink("pustu-oetete", false));  // the Puskesmas is cut off from the Pustu
  ASSERT_TRUE(Move(d.api("pkm-oebobo"), ref.id(), v1::ACCEPTED).ok());
  ASSERT_TRUE(Move(d.api("pkm-oebobo"), ref.id(), v1::COMPLETED).ok());
  ASSERT_TRUE(Move(d.api("pustu-oetete"), ref.id(), v1::CANCELLED).ok());
  ASSERT_TRUE(d.SetLink("pustu-oetete", true));
  for (const char* node : {"pos-mawar", "pustu-oetete", "pkm-oebobo", "dinkes-kupang"}) {
    EXPECT_TRUE(WaitUntil([&] {
      v1::Referral r = GetReferral(d.api(node), ref.id());
      bool cancel_kept = false;
      for (const auto& h : r.history()) cancel_kept |= h.to_state() == v1::CANCELLED && h.superseded();
      return r.state() == v1::COMPLETED && cancel_kept;
    })) << node;
  }
  d.StopAll();
}

}  // namespace
}  // namespace ilp
