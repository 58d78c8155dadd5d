// Bad inputs to the Records API: referrals, tasks and reads (bad_input.h).
#include "tests/records/bad_input.h"

namespace ilp::bad_input {

std::vector<BadCase> ReferralCases() {
  std::vector<BadCase> cases;
  const auto add = Adder(&cases);

  // ---- Referrals -----------------------------------------------------------
  add("referral: missing reason",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.clear_reason();
        return Refer(c, r);
      },
      kInvalid, "referral.reason", {kFreshId});
  add("referral: to_node equals from_node",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_from_node("pus-5371031001");
        r.set_to_node("pus-5371031001");
        return Refer(c, r);
      },
      kInvalid, "referral.to_node", {kFreshId});
  add("referral: to this node with from_node defaulting to this node",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_to_node("pkm-1");
        return Refer(c, r);
      },
      kInvalid, "referral.to_node", {kFreshId});
  add("referral: to_node with a space",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_to_node("rsud kupang");
        return Refer(c, r);
      },
      kInvalid, "referral.to_node", {kFreshId});
  add("referral: state set on create",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_state(v1::ACCEPTED);
        return Refer(c, r);
      },
      kInvalid, "referral.state", {kFreshId});
  add("referral: history set on create",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.add_history()->set_to_state(v1::SENT);
        return Refer(c, r);
      },
      kInvalid, "referral.history", {kFreshId});
  add("referral: create_time set (output only)",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        *r.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(kNowMs);
        return Refer(c, r);
      },
      kInvalid, "referral.create_time", {kFreshId});
  add("referral: external_ids set (output only)",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.add_external_ids()->set_value("sr-1");
        return Refer(c, r);
      },
      kInvalid, "referral.external_ids: is output only", {kFreshId});
  add("referral: unknown patient",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_patient_id(kFreshId2);
        return Refer(c, r);
      },
      C::kNotFound, kFreshId2, {kFreshId, kFreshId2});
  add("referral: existing id with different content",
      [](RecordsCore& c) {
        v1::Referral r = ValidReferral();
        r.set_id(kReferralId);
        r.set_priority(v1::EMERGENCY);
        return Refer(c, r);
      },
      C::kAlreadyExists, kReferralId, {kReferralId});
  add("transition: COMPLETED straight from SENT",
      [](RecordsCore& c) { return Transition(c, kReferralId, v1::COMPLETED); },
      C::kFailedPrecondition, "is SENT; it cannot move to COMPLETED", {kReferralId});
  add("transition: back to SENT",
      [](RecordsCore& c) { return Transition(c, kReferralId, v1::SENT); },
      C::kFailedPrecondition, "cannot move to SENT", {kReferralId});
  add("transition: ACCEPTED after CANCELLED",
      [](RecordsCore& c) { return Transition(c, kCancelledReferralId, v1::ACCEPTED); },
      C::kFailedPrecondition, "is CANCELLED", {kCancelledReferralId});
  add("transition: CANCELLED again after CANCELLED",
      [](RecordsCore& c) { return Transition(c, kCancelledReferralId, v1::CANCELLED, "again"); },
      C::kFailedPrecondition, "is CANCELLED", {kCancelledReferralId});
  add("transition: unspecified target state",
      [](RecordsCore& c) {
        return Transition(c, kReferralId, v1::REFERRAL_STATE_UNSPECIFIED);
      },
      kInvalid, "to_state", {kReferralId});
  add("transition: referral state number not in the enum is unknown, not unspecified",
      [](RecordsCore& c) {
        return Transition(c, kReferralId, static_cast<v1::ReferralState>(42));
      },
      kInvalid, "to_state: 42 is not a known value", {kReferralId});
  add("transition: unknown referral",
      [](RecordsCore& c) { return Transition(c, kFreshId, v1::RECEIVED); }, C::kNotFound,
      kFreshId, {kFreshId});
  add("transition: a task id is not a referral",
      [](RecordsCore& c) { return Transition(c, kTaskId, v1::RECEIVED); }, C::kNotFound,
      kTaskId, {kTaskId});
  add("respond: missing diagnosis",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.clear_diagnosis();
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.diagnosis", {kFreshId, kFreshId2});
  add("respond: unknown referral",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_referral_id(kFreshId2);
        return Respond(c, r, "re-check", "");
      },
      C::kNotFound, kFreshId2, {kFreshId, kFreshId2});
  add("respond: patient differs from the referral's",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_patient_id(kDuplicateId);
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.patient_id", {kFreshId, kFreshId2});
  add("respond: control date Feb 30",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        *r.mutable_next_control_date() = MakeDate(2027, 2, 30);
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.next_control_date", {kFreshId, kFreshId2});
  add("respond: control date past ten years states the ten-year rule",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        *r.mutable_next_control_date() = MakeDate(2036, 12, 1);  // the limit, now + 3650 days, is 2036-11-20
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.next_control_date: must be no more than 10 years in the future",
      {kFreshId, kFreshId2});
  add("referral: priority number not in the enum is unknown",
      [](RecordsCore& c) {
        v1::CreateReferralRequest req;
        *req.mutable_referral() = ValidReferral();
        req.mutable_referral()->set_id(kFreshId);
        req.mutable_referral()->set_priority(static_cast<v1::Priority>(42));
        return c.CreateReferral(req).status();
      },
      kInvalid, "referral.priority: 42 is not a known value", {kFreshId});
  add("respond: to a cancelled referral",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_referral_id(kCancelledReferralId);
        return Respond(c, r, "re-check", kFreshId2);
      },
      C::kFailedPrecondition, "is CANCELLED", {kFreshId, kFreshId2, kCancelledReferralId});
  add("respond: from_node set (output only)",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_from_node("rsud-kupang");
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.from_node", {kFreshId, kFreshId2});
  add("respond: task id not a UUID",
      [](RecordsCore& c) { return Respond(c, FreshResponse(), "re-check", "task-1"); },
      kInvalid, "task_id", {kFreshId, "task-1"});
  add("respond: task id already stored",
      [](RecordsCore& c) { return Respond(c, FreshResponse(), "re-check", kTaskId); },
      C::kAlreadyExists, kTaskId, {kFreshId, kTaskId});

  // ---- Tasks ---------------------------------------------------------------
  add("task: complete without outcome note",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, v1::TASK_COMPLETED, ""); }, kInvalid,
      "note", {kTaskId});
  add("task: unspecified target state",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, v1::TASK_STATE_UNSPECIFIED, "x"); },
      kInvalid, "to_state", {kTaskId});
  add("task: task state number not in the enum is unknown, not unspecified",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, static_cast<v1::TaskState>(42), "x"); },
      kInvalid, "to_state: 42 is not a known value", {kTaskId});
  add("task: OPEN to OPEN",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, v1::OPEN, "again"); },
      C::kFailedPrecondition, "cannot move to OPEN", {kTaskId});
  add("task: unknown task",
      [](RecordsCore& c) { return MoveTask(c, kFreshId, v1::IN_PROGRESS, ""); },
      C::kNotFound, kFreshId, {kFreshId});

  // ---- Reads ---------------------------------------------------------------
  add("find: two criteria",
      [](RecordsCore& c) { return Find(c, kNik, "Ma", ""); }, kInvalid, "name_prefix", {});
  add("find: no criterion",
      [](RecordsCore& c) { return Find(c, "", "", ""); }, kInvalid, "set exactly one", {});
  add("find: name prefix of 1 character",
      [](RecordsCore& c) { return Find(c, "", "M", ""); }, kInvalid, "name_prefix", {});
  add("find: name prefix of 1 character padded with spaces",
      [](RecordsCore& c) { return Find(c, "", "  m  ", ""); }, kInvalid, "name_prefix", {});
  add("find: malformed NIK",
      [](RecordsCore& c) { return Find(c, "53710345", "", ""); }, kInvalid, "nik", {});
  add("find: village code with dots",
      [](RecordsCore& c) { return Find(c, "", "", "53.71.03.1001"); }, kInvalid,
      "village_code", {});
  add("find: page size over 1000",
      [](RecordsCore& c) { return Find(c, kNik, "", "", 1001); }, kInvalid, "page_size", {});
  add("get: id not a UUID",
      [](RecordsCore& c) {
        v1::GetPatientRequest req;
        req.set_id("42");
        return c.GetPatient(req).status();
      },
      kInvalid, "id", {});
  add("get: an encounter id is not a patient",
      [](RecordsCore& c) {
        v1::GetPatientRequest req;
        req.set_id(kEncounterId);
        return c.GetPatient(req).status();
      },
      C::kNotFound, kEncounterId, {kEncounterId});
  add("history: unknown patient",
      [](RecordsCore& c) {
        v1::ListPatientHistoryRequest req;
        req.set_patient_id(kFreshId);
        return c.ListPatientHistory(req).status();
      },
      C::kNotFound, kFreshId, {kFreshId});
  add("tasks: node id with a slash",
      [](RecordsCore& c) {
        v1::ListTasksRequest req;
        req.set_node("pkm/1");
        return c.ListTasks(req).status();
      },
      kInvalid, "node", {});
  return cases;
}

}  // namespace ilp::bad_input
