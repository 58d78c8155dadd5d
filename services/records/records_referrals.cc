// Records API: referrals and their responses.
#include "services/records/records_core.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/records/records_internal.h"
#include "services/records/validate.h"
#include "storage/merge/field_path.h"
#include "storage/merge/lifecycle.h"
#include "storage/merge/merge.h"
#include "storage/merge/stamp.h"
#include "storage/merge/view.h"
#include "storage/store/keys.h"
#include "storage/util/ids.h"
#include "storage/util/status_macros.h"

namespace ilp {

using records_internal::AlreadyExists;
using records_internal::Digest;
using records_internal::GetIfPresent;
using records_internal::StoredDigest;
using v1::Record;

absl::StatusOr<v1::Referral> RecordsCore::CreateReferralUnacked(const v1::CreateReferralRequest& req, WriteAudit* audit) {
  ILP_RETURN_IF_ERROR(ValidateReferral(req.referral()));
  absl::MutexLock l(&mu_);
  ILP_RETURN_IF_ERROR(Load(req.referral().patient_id(), Record::kPatient, "patient").status());
  const std::string digest = Digest(req);
  ILP_ASSIGN_OR_RETURN(std::optional<Record> replayed, Replayed(req.referral().id(), digest, "referral"));
  if (replayed) return ReferralView(*replayed);
  const v1::Stamp s = hlc_->Now();
  Record d;
  d.set_id(IdOr(req.referral().id()));
  *d.mutable_created() = s;
  d.set_create_digest(StoredDigest(digest));
  v1::Referral* r = d.mutable_referral();
  *r = req.referral();
  r->clear_id();
  if (r->from_node().empty()) r->set_from_node(node_id());
  if (r->from_node() == r->to_node()) {
    return absl::InvalidArgumentError("referral.to_node: must differ from from_node (this node by default)");
  }
  if (r->priority() == v1::PRIORITY_UNSPECIFIED) r->set_priority(v1::ROUTINE);
  v1::Move* m = d.add_moves();
  m->set_to_state(v1::SENT);
  *m->mutable_stamp() = s;
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}, audit));
  return ReferralView(res.states[0]);
}

absl::StatusOr<v1::Referral> RecordsCore::GetReferral(const v1::GetReferralRequest& req) const {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  ILP_ASSIGN_OR_RETURN(Record r, Load(req.id(), Record::kReferral, "referral"));
  return ReferralView(r);
}

absl::StatusOr<v1::Referral> RecordsCore::TransitionReferralUnacked(
    const v1::TransitionReferralRequest& req, WriteAudit* audit) {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  ILP_RETURN_IF_ERROR(
      CheckKnownEnum("to_state", req.to_state(), v1::ReferralState_IsValid(req.to_state())));
  if (req.to_state() == v1::REFERRAL_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError("to_state: must be a referral state other than unspecified");
  }
  if (req.note().size() > 1000) return absl::InvalidArgumentError("note: must be at most 1000 bytes");
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record cur, Load(req.id(), Record::kReferral, "referral"));
  const v1::Move* win = WinningMove(cur.moves());
  const auto from = win ? static_cast<v1::ReferralState>(win->to_state()) : v1::SENT;
  if (!ReferralTransitionAllowed(from, req.to_state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "referral ", req.id(), " is ", v1::ReferralState_Name(from), "; it cannot move to ",
        v1::ReferralState_Name(req.to_state())));
  }
  ILP_ASSIGN_OR_RETURN(Record after, CommitMove(cur, req.to_state(), req.note(), audit));
  return ReferralView(after);
}

absl::StatusOr<v1::RespondToReferralResponse> RecordsCore::RespondToReferralUnacked(
    const v1::RespondToReferralRequest& req, WriteAudit* audit) {
  ILP_RETURN_IF_ERROR(ValidateResponse(req.response(), NowMs()));
  ILP_RETURN_IF_ERROR(ValidateId(req.task_id(), "task_id", true));
  if (req.task_description().size() > 2000) {
    return absl::InvalidArgumentError("task_description: must be at most 2000 bytes");
  }
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record ref, Load(req.response().referral_id(), Record::kReferral, "referral"));
  const v1::Referral& referral = ref.referral();
  if (const v1::Move* win = WinningMove(ref.moves());
      win && (win->to_state() == v1::CANCELLED || win->to_state() == v1::REJECTED)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "referral ", ref.id(), " is ", v1::ReferralState_Name(static_cast<v1::ReferralState>(win->to_state())),
        "; a cancelled or rejected referral cannot be answered"));
  }
  if (!req.response().patient_id().empty() && req.response().patient_id() != referral.patient_id()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "response.patient_id: must be empty or the referral's patient (", referral.patient_id(), ")"));
  }
  const std::string digest = Digest(req);
  v1::RespondToReferralResponse out;
  ILP_ASSIGN_OR_RETURN(std::optional<Record> existing,
                       Replayed(req.response().id(), digest, "referral response"));
  if (existing) {
    *out.mutable_response() = ResponseView(*existing);
    ILP_ASSIGN_OR_RETURN(
        std::vector<std::string> ids,
        store_->ScanIndex(IndexKey('p', {referral.patient_id(), "task", ""}), SIZE_MAX));
    for (const std::string& id : ids) {
      ILP_ASSIGN_OR_RETURN(std::optional<Record> t, GetIfPresent(*store_, id));
      if (t && t->has_task() && t->task().origin_id() == existing->id()) *out.mutable_task() = TaskView(*t);
    }
    return out;
  }
  if (!req.task_id().empty()) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> taken, GetIfPresent(*store_, req.task_id()));
    if (taken) return AlreadyExists("task", req.task_id());
  }
  const v1::Stamp s = hlc_->Now();
  std::vector<Record> deltas;
  Record rr;
  rr.set_id(IdOr(req.response().id()));
  *rr.mutable_created() = s;
  rr.set_create_digest(StoredDigest(digest));
  v1::ReferralResponse* body = rr.mutable_response();
  *body = req.response();
  body->clear_id();
  body->set_patient_id(referral.patient_id());
  body->set_from_node(node_id());
  deltas.push_back(rr);
  if (!req.task_description().empty()) {
    Record t;
    t.set_id(IdOr(req.task_id()));
    *t.mutable_created() = s;
    v1::Task* task = t.mutable_task();
    task->set_patient_id(referral.patient_id());
    task->set_origin_id(rr.id());
    task->set_assignee_node(referral.from_node());
    task->set_description(req.task_description());
    *task->mutable_due_date() = req.response().next_control_date();
    v1::Move* m = t.add_moves();
    m->set_to_state(v1::OPEN);
    *m->mutable_stamp() = s;
    deltas.push_back(std::move(t));
  }
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit(std::move(deltas), audit));
  *out.mutable_response() = ResponseView(res.states[0]);
  if (res.states.size() > 1) *out.mutable_task() = TaskView(res.states[1]);
  return out;
}

}  // namespace ilp
