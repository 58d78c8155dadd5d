// ilp-demo: drives one ilp-node through an ILP day over the public gRPC API
// and prints what it reads back. Used by deploy/demo.sh.
//
//   ilp-demo --node 127.0.0.1:7070 --refer-to pkm-oebobo
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include <cstdio>
#include <cstdlib>

#include "CLI/CLI.hpp"
#include "google/protobuf/util/time_util.h"
#include "ilp/v1/records_service.grpc.pb.h"

namespace {

using google::protobuf::util::TimeUtil;
namespace v1 = ilp::v1;

std::unique_ptr<v1::Records::Stub> stub;
std::string token;  // app token: authorization: Bearer

template <typename Req, typename Resp>
Resp Call(grpc::Status (v1::Records::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
          const Req& req, const char* what) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  Resp resp;
  grpc::Status s = ((*stub).*method)(&ctx, req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "ilp-demo: %s failed: %s\n", what, s.error_message().c_str());
    std::exit(1);
  }
  return resp;
}

v1::Patient NewPatient(const char* name, int sex, const char* nik, int y, int m, int d,
                       const char* village, const char* rt) {
  v1::CreatePatientRequest req;
  v1::Patient* p = req.mutable_patient();
  p->set_name(name);
  p->set_sex(static_cast<v1::Sex>(sex));
  if (nik) {
    auto* id = p->add_identifiers();
    id->set_system(v1::NIK);
    id->set_value(nik);
    id->set_verified(true);
  }
  p->mutable_birth_date()->set_year(y);
  p->mutable_birth_date()->set_month(m);
  p->mutable_birth_date()->set_day(d);
  p->mutable_address()->set_village_code(village);
  p->mutable_address()->set_rt(rt);
  p->mutable_address()->set_dusun("Dusun 2");
  return Call(&v1::Records::Stub::CreatePatient, req, "CreatePatient");
}

// The Puskesmas side: accept, answer with a back-referral and a task.
int Answer(const std::string& referral_id) {
  std::printf("== Puskesmas: referral %s received, accepted, answered\n", referral_id.c_str());
  for (auto state : {v1::RECEIVED, v1::ACCEPTED}) {
    v1::TransitionReferralRequest t;
    t.set_id(referral_id);
    t.set_to_state(state);
    Call(&v1::Records::Stub::TransitionReferral, t, "TransitionReferral");
  }
  v1::RespondToReferralRequest resp;
  resp.mutable_response()->set_referral_id(referral_id);
  resp.mutable_response()->set_diagnosis("moderate underweight (E44.1)");
  resp.mutable_response()->set_treatment("PMT supplementary feeding, deworming");
  resp.mutable_response()->set_instructions("re-weigh in 2 weeks; check PMT is eaten");
  resp.set_task_description("Re-weigh Budi and check PMT adherence");
  auto answered = Call(&v1::Records::Stub::RespondToReferral, resp, "RespondToReferral");
  std::printf("  back-referral %s; task %s for %s\n", answered.response().id().c_str(),
              answered.task().id().c_str(), answered.task().assignee_node().c_str());
  v1::TransitionReferralRequest complete;
  complete.set_id(referral_id);
  complete.set_to_state(v1::COMPLETED);
  Call(&v1::Records::Stub::TransitionReferral, complete, "TransitionReferral");
  return 0;
}

// The posyandu side: do every open task and record the outcome.
int FollowUp() {
  auto tasks = Call(&v1::Records::Stub::ListTasks, v1::ListTasksRequest(), "ListTasks");
  for (const auto& t : tasks.tasks()) {
    v1::UpdateTaskRequest done;
    done.set_id(t.id());
    done.set_to_state(v1::TASK_COMPLETED);
    done.set_note("home visit: weight 8.6 kg, PMT eaten daily");
    Call(&v1::Records::Stub::UpdateTask, done, "UpdateTask");
    std::printf("== Posyandu: task \"%s\" done: %s\n", t.description().c_str(), done.note().c_str());
  }
  return 0;
}

}  // namespace

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int main(int argc, char** argv) {
  CLI::App app{"ilp-demo: record a posyandu day and a referral round trip"};
  std::string node = "127.0.0.1:7070", refer_to = "pkm-oebobo", village = "5371031001";
  std::string step = "all", referral_id;
  app.add_option("--node", node, "node address");
  app.add_option("--step", step, "all | posyandu (register, weigh, refer) | answer (back-referral) | followup (complete tasks)")
      ->check(CLI::IsMember({"all", "posyandu", "answer", "followup"}));
  app.add_option("--referral", referral_id, "referral to answer (--step answer)");
  app.add_option("--refer-to", refer_to, "node id the referral goes to (empty: no referral)");
  app.add_option("--village", village, "village code of the demo patients");
  std::string ca, cert, key;
  app.add_option("--ca", ca, "district CA certificate (PEM)")->required();
  app.add_option("--cert", cert, "client certificate (PEM; optional with --token)");
  app.add_option("--key", key, "its private key (PEM)");
  if (const char* t = std::getenv("ILPCTL_TOKEN")) token = t;
  app.add_option("--token", token, "app token (or ILPCTL_TOKEN), sent as authorization: Bearer");
  CLI11_PARSE(app, argc, argv);
  // Stock gRPC TLS, as any app would connect: the node's certificate names
  // the address it is dialled at.
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadAll(ca);
  tls.pem_cert_chain = ReadAll(cert);
  tls.pem_private_key = ReadAll(key);
  if (tls.pem_root_certs.empty() ||
      (token.empty() && (tls.pem_cert_chain.empty() || tls.pem_private_key.empty()))) {
    std::fprintf(stderr, "ilp-demo: cannot read --ca, and --cert and --key (or give --token)\n");
    return 2;
  }
  stub = v1::Records::NewStub(grpc::CreateChannel(node, grpc::SslCredentials(tls)));

  if (step == "answer") return Answer(referral_id);
  if (step == "followup") return FollowUp();
  std::printf("== Registration at the posyandu\n");
  v1::Patient mother = NewPatient("Siti Aminah", 2, "5371034507900001", 1990, 7, 5, village.c_str(), "3");
  v1::Patient child = NewPatient("Budi Santoso", 1, nullptr, 2024, 9, 12, village.c_str(), "3");
  v1::Patient elder = NewPatient("Yohanes Lado", 1, "5371031203550002", 1955, 3, 12, village.c_str(), "5");
  for (const auto* p : {&mother, &child, &elder}) {
    std::printf("  patient %s  %s\n", p->id().c_str(), p->name().c_str());
  }

  std::printf("== Posyandu session: weighing and immunisation for %s\n", child.name().c_str());
  v1::RecordEncounterRequest enc;
  enc.mutable_encounter()->set_patient_id(child.id());
  enc.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
  enc.mutable_encounter()->set_life_stage(v1::TODDLER);
  enc.mutable_encounter()->set_performer("kader Maria");
  *enc.mutable_encounter()->mutable_time() = TimeUtil::GetCurrentTime();
  auto add_obs = [&](const char* loinc, double v, const char* unit) {
    auto* o = enc.add_observations();
    o->set_loinc(loinc);
    o->set_value(v);
    o->set_unit(unit);
  };
  add_obs("29463-7", 8.1, "kg");
  add_obs("8302-2", 74.5, "cm");
  add_obs("56072-2", 12.2, "cm");
  auto* imm = enc.add_immunizations();
  imm->set_kfa_code("93001619");
  imm->set_antigen("MR");
  imm->set_dose_number(1);
  imm->set_lot("MR-2611-07");
  const auto today = TimeUtil::GetCurrentTime();
  const int64_t days = today.seconds() / 86400;
  // civil date of today (UTC)
  int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153, dd = doy - (153 * mp + 2) / 5 + 1, mm = mp < 10 ? mp + 3 : mp - 9;
  int64_t yy = yoe + era * 400 + (mm <= 2);
  imm->mutable_date()->set_year(static_cast<int>(yy));
  imm->mutable_date()->set_month(static_cast<int>(mm));
  imm->mutable_date()->set_day(static_cast<int>(dd));
  auto recorded = Call(&v1::Records::Stub::RecordEncounter, enc, "RecordEncounter");
  std::printf("  encounter %s with %d observations, %d immunisation\n",
              recorded.encounter().id().c_str(), recorded.observations_size(),
              recorded.immunizations_size());

  if (refer_to.empty()) return 0;  // registration and a visit only
  std::printf("== Growth faltering: referral to %s\n", refer_to.c_str());
  v1::CreateReferralRequest rreq;
  rreq.mutable_referral()->set_patient_id(child.id());
  rreq.mutable_referral()->set_encounter_id(recorded.encounter().id());
  rreq.mutable_referral()->set_to_node(refer_to);
  rreq.mutable_referral()->set_reason("weight-for-age below -2 SD, no gain for 2 months");
  rreq.mutable_referral()->set_priority(v1::URGENT);
  v1::Referral ref = Call(&v1::Records::Stub::CreateReferral, rreq, "CreateReferral");
  for (auto state : {v1::RECEIVED, v1::ACCEPTED}) {
    if (step == "posyandu") break;
    v1::TransitionReferralRequest t;
    t.set_id(ref.id());
    t.set_to_state(state);
    ref = Call(&v1::Records::Stub::TransitionReferral, t, "TransitionReferral");
  }
  std::printf("  referral %s is %s\n", ref.id().c_str(), v1::ReferralState_Name(ref.state()).c_str());
  if (step == "posyandu") {
    std::printf("referral-id %s\n", ref.id().c_str());
    return 0;
  }

  std::printf("== Back-referral and follow-up task\n");
  v1::RespondToReferralRequest resp;
  resp.mutable_response()->set_referral_id(ref.id());
  resp.mutable_response()->set_diagnosis("moderate underweight (E44.1)");
  resp.mutable_response()->set_treatment("PMT supplementary feeding, deworming");
  resp.mutable_response()->set_instructions("re-weigh in 2 weeks; check PMT is eaten");
  resp.mutable_response()->mutable_next_control_date()->set_year(static_cast<int>(yy) + 1);
  resp.mutable_response()->mutable_next_control_date()->set_month(1);
  resp.mutable_response()->mutable_next_control_date()->set_day(10);
  resp.set_task_description("Re-weigh Budi and check PMT adherence");
  auto answered = Call(&v1::Records::Stub::RespondToReferral, resp, "RespondToReferral");
  std::printf("  back-referral %s, task %s for %s\n", answered.response().id().c_str(),
              answered.task().id().c_str(), answered.task().assignee_node().c_str());
  v1::UpdateTaskRequest done;
  done.set_id(answered.task().id());
  done.set_to_state(v1::TASK_COMPLETED);
  done.set_note("home visit: weight 8.6 kg, PMT eaten daily");
  v1::Task task = Call(&v1::Records::Stub::UpdateTask, done, "UpdateTask");
  v1::TransitionReferralRequest complete;
  complete.set_id(ref.id());
  complete.set_to_state(v1::COMPLETED);
  ref = Call(&v1::Records::Stub::TransitionReferral, complete, "TransitionReferral");
  std::printf("  task %s: %s\n", v1::TaskState_Name(task.state()).c_str(), task.outcome().c_str());

  std::printf("== Read back\n");
  v1::FindPatientsRequest find;
  find.set_nik("5371034507900001");
  auto found = Call(&v1::Records::Stub::FindPatients, find, "FindPatients");
  std::printf("  find by NIK 5371034507900001 -> %d patient(s): %s\n", found.patients_size(),
              found.patients_size() ? found.patients(0).name().c_str() : "-");
  v1::ListPatientHistoryRequest hist;
  hist.set_patient_id(child.id());
  auto history = Call(&v1::Records::Stub::ListPatientHistory, hist, "ListPatientHistory");
  std::printf("  history of %s: %d records\n", history.patient().name().c_str(), history.items_size());
  for (const auto& item : history.items()) {
    if (item.has_observation()) {
      std::printf("    observation %-8s %6.1f %s\n", item.observation().loinc().c_str(),
                  item.observation().value(), item.observation().unit().c_str());
    } else if (item.has_encounter()) {
      std::printf("    encounter   %s by %s\n", v1::EncounterKind_Name(item.encounter().kind()).c_str(),
                  item.encounter().performer().c_str());
    } else if (item.has_immunization()) {
      std::printf("    immunised   %s dose %d\n", item.immunization().antigen().c_str(), item.immunization().dose_number());
    } else if (item.has_referral()) {
      std::printf("    referral    -> %s, %s\n", item.referral().to_node().c_str(),
                  v1::ReferralState_Name(item.referral().state()).c_str());
    } else if (item.has_response()) {
      std::printf("    back-ref    %s\n", item.response().diagnosis().c_str());
    } else if (item.has_task()) {
      std::printf("    task        %s (%s)\n", item.task().description().c_str(),
                  v1::TaskState_Name(item.task().state()).c_str());
    }
  }
  return 0;
}
