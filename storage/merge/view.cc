#include "storage/merge/view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "storage/merge/lifecycle.h"
#include "storage/merge/stamp.h"

namespace ilp {
namespace {

using google::protobuf::util::TimeUtil;

// A stamp's wall comes from whichever device wrote it and is not bounded
// (docs/merge.md ranks by min(wall, anchor + 30 days), not by wall). A view is
// total: walls outside what a Timestamp can hold (years 1 to 9999) are shown at
// that range's edge. TimeUtil::MillisecondsToTimestamp would abort on them,
// which the sync_session fuzzer reached from a child's batch.
google::protobuf::Timestamp TimestampOfMs(int64_t ms) {
  constexpr int64_t kMinMs = TimeUtil::kTimestampMinSeconds * 1000;
  constexpr int64_t kMaxMs = TimeUtil::kTimestampMaxSeconds * 1000 + 999;
  return TimeUtil::MillisecondsToTimestamp(std::clamp(ms, kMinMs, kMaxMs));
}

int64_t LatestWall(const v1::Record& r) {
  int64_t t = r.created().wall_ms();
  if (r.has_patient()) {
    for (const auto& v : r.patient().versions()) t = std::max(t, v.stamp().wall_ms());
    for (const auto& e : r.patient().elements()) {
      for (const auto& s : e.adds()) t = std::max(t, s.wall_ms());
      t = std::max(t, e.value_stamp().wall_ms());
    }
  }
  for (const auto& m : r.moves()) t = std::max(t, m.stamp().wall_ms());
  if (r.has_error()) t = std::max(t, r.error().stamp().wall_ms());
  return t;
}

// The record's external ids, in the state's (sorted) order, without stamps.
void FillExternalIds(const v1::Record& r,
                     google::protobuf::RepeatedPtrField<v1::ExternalIdentifier>* out) {
  for (const v1::ExternalId& x : r.external_ids()) {
    v1::ExternalIdentifier* v = out->Add();
    v->set_system(x.system());
    v->set_value(x.value());
  }
}

v1::RecordStatus StatusOf(const v1::Record& r) {
  return r.has_error() ? v1::ENTERED_IN_ERROR : v1::FINAL;
}

}  // namespace

std::string IdentifierKey(const v1::Identifier& id) {
  return absl::StrCat(v1::IdentifierSystem_Name(id.system()), ":", id.value());
}

bool ElementPresent(const v1::SetElement& e) {
  for (const v1::Stamp& a : e.adds()) {
    bool removed = std::any_of(e.removes().begin(), e.removes().end(),
                               [&](const v1::Stamp& r) { return StampEq(r, a); });
    if (!removed) return true;
  }
  return false;
}

v1::Patient PatientView(const v1::Record& r) {
  v1::Patient p = r.patient().value();
  p.set_id(r.id());
  p.set_origin_node(r.created().node());
  *p.mutable_create_time() = TimestampOfMs(r.created().wall_ms());
  *p.mutable_update_time() = TimestampOfMs(LatestWall(r));
  for (const v1::SetElement& e : r.patient().elements()) {
    if (!ElementPresent(e)) continue;
    if (e.field() == kIdentifiersSet) {
      p.add_identifiers()->ParseFromString(e.value());
    } else if (e.field() == kAllergiesSet) {
      p.add_allergies()->ParseFromString(e.value());
    } else if (e.field() == kHouseholdSet) {
      p.add_household_members(e.value());
    }
  }
  return p;
}

v1::Referral ReferralView(const v1::Record& r) {
  v1::Referral v = r.referral();
  v.set_id(r.id());
  const v1::Move* win = WinningMove(r.moves());
  v.set_state(win ? static_cast<v1::ReferralState>(win->to_state()) : v1::SENT);
  FillHistory(r.moves(), ReferralStateIsTerminal, v.mutable_history());
  *v.mutable_create_time() = TimestampOfMs(r.created().wall_ms());
  FillExternalIds(r, v.mutable_external_ids());
  return v;
}

v1::Task TaskView(const v1::Record& r) {
  v1::Task v = r.task();
  v.set_id(r.id());
  v.set_origin_node(r.created().node());
  const v1::Move* win = WinningMove(r.moves());
  v.set_state(win ? static_cast<v1::TaskState>(win->to_state()) : v1::OPEN);
  v.set_outcome(win && win->to_state() == v1::TASK_COMPLETED ? win->note() : "");
  FillHistory(r.moves(), TaskStateIsTerminal, v.mutable_history());
  return v;
}

v1::Encounter EncounterView(const v1::Record& r) {
  v1::Encounter v = r.encounter();
  v.set_id(r.id());
  v.set_status(StatusOf(r));
  FillExternalIds(r, v.mutable_external_ids());
  return v;
}

v1::Observation ObservationView(const v1::Record& r) {
  v1::Observation v = r.observation();
  v.set_id(r.id());
  v.set_status(StatusOf(r));
  FillExternalIds(r, v.mutable_external_ids());
  return v;
}

v1::Immunization ImmunizationView(const v1::Record& r) {
  v1::Immunization v = r.immunization();
  v.set_id(r.id());
  v.set_status(StatusOf(r));
  FillExternalIds(r, v.mutable_external_ids());
  return v;
}

v1::ReferralResponse ResponseView(const v1::Record& r) {
  v1::ReferralResponse v = r.response();
  v.set_id(r.id());
  v.set_status(StatusOf(r));
  *v.mutable_time() = TimestampOfMs(r.created().wall_ms());
  return v;
}

}  // namespace ilp
