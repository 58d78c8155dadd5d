#include "services/records/records_access.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/merge/view.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

using Check = std::function<absl::Status(const Caller&)>;

std::string Who(const Caller& c) {
  return absl::StrCat(c.sub, " (", c.role, ", area [", absl::StrJoin(c.area, ", "), "]",
                      c.node.empty() ? "" : absl::StrCat(", node ", c.node), ")");
}

// Patient ids a response names.
std::vector<std::string> PatientIds(const v1::FindPatientsResponse& r) {
  std::vector<std::string> out;
  for (const v1::Patient& p : r.patients()) out.push_back(p.id());
  return out;
}

}  // namespace

void RecordsAccess::Audit(const Admitted& who, const char* rpc,
                          std::vector<std::string> patient_ids,
                          std::vector<std::string> record_ids, const absl::Status& outcome) {
  v1::AuditEvent ev;
  if (who.ok()) {
    ev.set_sub(who->sub);
    ev.set_role(who->role);
    ev.set_jti(who->jti);
  }
  ev.set_rpc(rpc);
  for (std::string& p : patient_ids) {
    if (!p.empty()) ev.add_patient_ids(std::move(p));
  }
  for (std::string& r : record_ids) {
    if (!r.empty()) ev.add_record_ids(std::move(r));
  }
  ev.set_outcome(outcome.ok() ? "OK" : absl::StatusCodeToString(outcome.code()));
  if (!outcome.ok()) {
    // The gate's and the area rules' refusals name ids and rules, never
    // names. Other errors may echo input (a mistyped NIK): only their field.
    const absl::string_view m = outcome.message();
    const bool ours = absl::IsPermissionDenied(outcome) || absl::IsUnauthenticated(outcome);
    ev.set_detail(std::string(ours ? m.substr(0, 200) : m.substr(0, std::min<size_t>(m.find(':'), 80))));
  }
  audit_->Add(ev);
}

absl::Status RecordsAccess::Visible(const Caller& c, const std::string& id, const char* what) {
  absl::StatusOr<v1::Record> r = store_->Get(id);
  if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  bool in = false;
  if (r.ok()) {
    ChildScope scope(store_, c.area, c.node.empty() ? std::set<std::string>{}
                                                     : std::set<std::string>{c.node});
    ILP_ASSIGN_OR_RETURN(in, scope.Contains(*r));
  }
  if (in) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "rule area: ", what, " ", id, " is not visible to ", Who(c),
      " (outside the token's area and not addressed to its node, or not held here)"));
}

absl::Status RecordsAccess::VillageInArea(const Caller& c, const std::string& village,
                                          const char* field) const {
  if (c.InArea(village)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("rule area: ", field, " \"", village,
                                                  "\" is outside the area of ", Who(c)));
}

template <typename Resp, typename Fn>
absl::StatusOr<Resp> RecordsAccess::Write(const Admitted& who, const char* rpc,
                                          std::vector<std::string> patients, const Check& check,
                                          Fn fn) {
  if (who.ok() && who->unrestricted) return fn(nullptr);
  absl::Status s = who.ok() ? check(*who) : who.status();
  if (!s.ok()) {
    Audit(who, rpc, std::move(patients), {}, s);
    return s;
  }
  WriteAudit wa;
  wa.event.set_sub(who->sub);
  wa.event.set_role(who->role);
  wa.event.set_jti(who->jti);
  wa.event.set_rpc(rpc);
  for (const std::string& p : patients) {
    if (!p.empty()) wa.event.add_patient_ids(p);
  }
  absl::StatusOr<Resp> out = fn(&wa);
  if (!wa.committed) Audit(who, rpc, std::move(patients), {}, out.status());
  return out;
}

template <typename Resp, typename Fn>
absl::StatusOr<Resp> RecordsAccess::Read(const Admitted& who, const char* rpc,
                                         std::vector<std::string> patients, const Check& check,
                                         Fn fn) {
  if (who.ok() && who->unrestricted) return fn();
  absl::Status s = who.ok() ? check(*who) : who.status();
  if (!s.ok()) {
    Audit(who, rpc, std::move(patients), {}, s);
    return s;
  }
  absl::StatusOr<Resp> out = fn();
  Audit(who, rpc, std::move(patients), {}, out.status());
  return out;
}

absl::StatusOr<v1::Patient> RecordsAccess::CreatePatient(const Admitted& who,
                                                         const v1::CreatePatientRequest& req) {
  return Write<v1::Patient>(
      who, "CreatePatient", {req.patient().id()},
      [&](const Caller& c) {
        return VillageInArea(c, req.patient().address().village_code(),
                             "patient.address.village_code");
      },
      [&](WriteAudit* a) { return core_->CreatePatient(req, a); });
}

absl::StatusOr<v1::Patient> RecordsAccess::UpdatePatient(const Admitted& who,
                                                         const v1::UpdatePatientRequest& req) {
  // Only a mask naming the village (or a whole-patient update) can move him.
  bool moves = req.update_mask().paths_size() == 0;
  for (const std::string& p : req.update_mask().paths()) {
    moves |= p == "address" || p == "address.village_code";
  }
  return Write<v1::Patient>(
      who, "UpdatePatient", {req.patient().id()},
      [&](const Caller& c) -> absl::Status {
        ILP_RETURN_IF_ERROR(Visible(c, req.patient().id(), "patient"));
        if (!moves) return absl::OkStatus();
        return VillageInArea(c, req.patient().address().village_code(),
                             "patient.address.village_code");
      },
      [&](WriteAudit* a) { return core_->UpdatePatient(req, a); });
}

absl::StatusOr<v1::Patient> RecordsAccess::GetPatient(const Admitted& who,
                                                      const v1::GetPatientRequest& req) {
  return Read<v1::Patient>(
      who, "GetPatient", {req.id()},
      [&](const Caller& c) { return Visible(c, req.id(), "patient"); },
      [&]() -> absl::StatusOr<v1::Patient> {
        ILP_ASSIGN_OR_RETURN(v1::Patient p, core_->GetPatient(req));
        // A link may lead to a survivor outside the area: same refusal.
        if (p.id() != req.id()) ILP_RETURN_IF_ERROR(Visible(*who, p.id(), "patient"));
        return p;
      });
}

absl::StatusOr<v1::FindPatientsResponse> RecordsAccess::FindPatients(
    const Admitted& who, const v1::FindPatientsRequest& req) {
  if (who.ok() && who->unrestricted) return core_->FindPatients(req);
  absl::StatusOr<v1::FindPatientsResponse> out =
      who.ok() ? core_->FindPatients(req) : absl::StatusOr<v1::FindPatientsResponse>(who.status());
  if (out.ok()) {
    auto* ps = out->mutable_patients();
    for (int i = ps->size() - 1; i >= 0; --i) {
      if (!who->InArea(ps->Get(i).address().village_code())) ps->DeleteSubrange(i, 1);
    }
  }
  Audit(who, "FindPatients", out.ok() ? PatientIds(*out) : std::vector<std::string>{}, {},
        out.status());
  return out;
}

absl::StatusOr<v1::Patient> RecordsAccess::LinkPatients(const Admitted& who,
                                                        const v1::LinkPatientsRequest& req) {
  return Write<v1::Patient>(
      who, "LinkPatients", {req.duplicate_id(), req.survivor_id()},
      [&](const Caller& c) -> absl::Status {
        ILP_RETURN_IF_ERROR(Visible(c, req.duplicate_id(), "patient"));
        return Visible(c, req.survivor_id(), "patient");
      },
      [&](WriteAudit* a) { return core_->LinkPatients(req, a); });
}

absl::StatusOr<v1::RecordEncounterResponse> RecordsAccess::RecordEncounter(
    const Admitted& who, const v1::RecordEncounterRequest& req) {
  return Write<v1::RecordEncounterResponse>(
      who, "RecordEncounter", {req.encounter().patient_id()},
      [&](const Caller& c) { return Visible(c, req.encounter().patient_id(), "patient"); },
      [&](WriteAudit* a) { return core_->RecordEncounter(req, a); });
}

absl::StatusOr<v1::MarkEnteredInErrorResponse> RecordsAccess::MarkEnteredInError(
    const Admitted& who, const v1::MarkEnteredInErrorRequest& req) {
  return Write<v1::MarkEnteredInErrorResponse>(
      who, "MarkEnteredInError", {},
      [&](const Caller& c) { return Visible(c, req.id(), "record"); },
      [&](WriteAudit* a) { return core_->MarkEnteredInError(req, a); });
}

absl::StatusOr<v1::Referral> RecordsAccess::CreateReferral(const Admitted& who,
                                                           const v1::CreateReferralRequest& req) {
  return Write<v1::Referral>(
      who, "CreateReferral", {req.referral().patient_id()},
      [&](const Caller& c) { return Visible(c, req.referral().patient_id(), "patient"); },
      [&](WriteAudit* a) { return core_->CreateReferral(req, a); });
}

absl::StatusOr<v1::Referral> RecordsAccess::GetReferral(const Admitted& who,
                                                        const v1::GetReferralRequest& req) {
  return Read<v1::Referral>(
      who, "GetReferral", {}, [&](const Caller& c) { return Visible(c, req.id(), "referral"); },
      [&]() { return core_->GetReferral(req); });
}

absl::StatusOr<v1::Referral> RecordsAccess::TransitionReferral(
    const Admitted& who, const v1::TransitionReferralRequest& req) {
  return Write<v1::Referral>(
      who, "TransitionReferral", {},
      [&](const Caller& c) { return Visible(c, req.id(), "referral"); },
      [&](WriteAudit* a) { return core_->TransitionReferral(req, a); });
}

absl::StatusOr<v1::RespondToReferralResponse> RecordsAccess::RespondToReferral(
    const Admitted& who, const v1::RespondToReferralRequest& req) {
  return Write<v1::RespondToReferralResponse>(
      who, "RespondToReferral", {},
      [&](const Caller& c) { return Visible(c, req.response().referral_id(), "referral"); },
      [&](WriteAudit* a) { return core_->RespondToReferral(req, a); });
}

absl::StatusOr<v1::Task> RecordsAccess::UpdateTask(const Admitted& who,
                                                   const v1::UpdateTaskRequest& req) {
  return Write<v1::Task>(
      who, "UpdateTask", {}, [&](const Caller& c) { return Visible(c, req.id(), "task"); },
      [&](WriteAudit* a) { return core_->UpdateTask(req, a); });
}

absl::StatusOr<v1::ListPatientHistoryResponse> RecordsAccess::ListPatientHistory(
    const Admitted& who, const v1::ListPatientHistoryRequest& req) {
  return Read<v1::ListPatientHistoryResponse>(
      who, "ListPatientHistory", {req.patient_id()},
      [&](const Caller& c) { return Visible(c, req.patient_id(), "patient"); },
      [&]() { return core_->ListPatientHistory(req); });
}

absl::StatusOr<v1::ListTasksResponse> RecordsAccess::ListTasks(const Admitted& who,
                                                               const v1::ListTasksRequest& req) {
  if (who.ok() && who->unrestricted) return core_->ListTasks(req);
  absl::StatusOr<v1::ListTasksResponse> out =
      who.ok() ? core_->ListTasks(req) : absl::StatusOr<v1::ListTasksResponse>(who.status());
  std::vector<std::string> patients;
  if (out.ok()) {
    ChildScope scope(store_, who->area, who->node.empty() ? std::set<std::string>{}
                                                           : std::set<std::string>{who->node});
    auto* ts = out->mutable_tasks();
    for (int i = ts->size() - 1; i >= 0; --i) {
      const v1::Task& t = ts->Get(i);
      bool in = !who->node.empty() && t.assignee_node() == who->node;
      if (!in) {
        absl::StatusOr<bool> p = scope.PatientInArea(t.patient_id());
        if (!p.ok()) {
          out = p.status();
          break;
        }
        in = *p;
      }
      if (!in) ts->DeleteSubrange(i, 1);
    }
    if (out.ok()) {
      for (const v1::Task& t : out->tasks()) patients.push_back(t.patient_id());
    }
  }
  Audit(who, "ListTasks", std::move(patients), {}, out.status());
  return out;
}

std::unique_ptr<ChildScope> RecordsAccess::ScopeFor(const Caller& c) const {
  if (c.unrestricted) return nullptr;
  return std::make_unique<ChildScope>(
      store_, c.area, c.node.empty() ? std::set<std::string>{} : std::set<std::string>{c.node});
}

}  // namespace ilp
