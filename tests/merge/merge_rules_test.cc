// The merge rules as users see them: which value survives a race, and what
// is kept of the loser.
#include <gtest/gtest.h>

#include <limits>

#include "storage/merge/merge.h"
#include "storage/merge/stamp.h"
#include "storage/merge/view.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
const char kId[] = "0190a0b1-0000-7000-8000-000000000001";

v1::Stamp S(int64_t wall, const char* node, uint32_t logical = 0) {
  v1::Stamp s;
  s.set_wall_ms(wall);
  s.set_logical(logical);
  s.set_node(node);
  s.set_anchor_ms(wall);
  return s;
}

v1::Record M(const v1::Record& a, const v1::Record& b, std::vector<v1::LostWrite>* lost = nullptr) {
  absl::StatusOr<MergeResult> r = Merge(a, b);
  EXPECT_TRUE(r.ok()) << r.status();
  if (lost) *lost = r->lost;
  return r->record;
}

v1::Record CreatePatient() {
  v1::Record r;
  r.set_id(kId);
  *r.mutable_created() = S(kT0, "pos-a");
  auto* st = r.mutable_patient();
  st->mutable_value()->set_name("Bayi Ny. Siti");
  st->mutable_value()->mutable_address()->set_rt("3");
  for (const char* f : {"name", "address.rt"}) {
    auto* v = st->add_versions();
    v->set_field(f);
    *v->mutable_stamp() = r.created();
  }
  return r;
}

v1::Record Edit(const char* field, const v1::Stamp& s, const v1::Stamp& base,
                void (*set)(v1::Patient*)) {
  v1::Record d;
  d.set_id(kId);
  auto* v = d.mutable_patient()->add_versions();
  v->set_field(field);
  *v->mutable_stamp() = s;
  *v->mutable_base() = base;
  set(d.mutable_patient()->mutable_value());
  return d;
}

v1::Record AddNik(const char* nik, const v1::Stamp& s) {
  v1::Record d;
  d.set_id(kId);
  v1::Identifier id;
  id.set_system(v1::NIK);
  id.set_value(nik);
  auto* e = d.mutable_patient()->add_elements();
  e->set_field(kIdentifiersSet);
  e->set_key(IdentifierKey(id));
  e->set_value(id.SerializeAsString());
  *e->mutable_value_stamp() = s;
  *e->add_adds() = s;
  return d;
}

TEST(MergeRulesTest, ConcurrentEditsToDifferentFieldsBothSurvive) {
  const v1::Record base = CreatePatient();
  // Scenario 3: the Puskesmas adds the newborn's NIK while the kader, offline, fixes the RT.
  const v1::Record nik = AddNik("5371030101260001", S(kT0 + 5000, "pkm-c"));
  const v1::Record rt = Edit("address.rt", S(kT0 + 4000, "pos-a"), base.created(),
                             [](v1::Patient* p) { p->mutable_address()->set_rt("7"); });
  for (const v1::Record& merged : {M(M(base, nik), rt), M(M(base, rt), nik)}) {
    v1::Patient p = PatientView(merged);
    EXPECT_EQ(p.address().rt(), "7");
    ASSERT_EQ(p.identifiers_size(), 1);
    EXPECT_EQ(p.identifiers(0).value(), "5371030101260001");
    EXPECT_EQ(p.name(), "Bayi Ny. Siti");
  }
}

TEST(MergeRulesTest, ConcurrentEditsToOneFieldKeepTheLaterAndRecordTheLoser) {
  const v1::Record base = CreatePatient();
  const v1::Record kader = Edit("name", S(kT0 + 1000, "pos-a"), base.created(),
                                [](v1::Patient* p) { p->set_name("Siti Aminah"); });
  const v1::Record doctor = Edit("name", S(kT0 + 2000, "pkm-c"), base.created(),
                                 [](v1::Patient* p) { p->set_name("Siti Aminah Lede"); });
  std::vector<v1::LostWrite> lost;
  const v1::Record merged = M(M(base, doctor), kader, &lost);
  EXPECT_EQ(PatientView(merged).name(), "Siti Aminah Lede");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].field(), "name");
  EXPECT_EQ(lost[0].winning_value(), "\"Siti Aminah Lede\"");
  EXPECT_EQ(lost[0].losing_value(), "\"Siti Aminah\"");
  EXPECT_EQ(lost[0].winning_stamp().node(), "pkm-c");
  EXPECT_EQ(lost[0].losing_stamp().node(), "pos-a");
}

TEST(MergeRulesTest, AnOverwriteOfASeenValueIsNotALostWrite) {
  const v1::Record base = CreatePatient();
  const v1::Record first = Edit("name", S(kT0 + 1000, "pos-a"), base.created(),
                                [](v1::Patient* p) { p->set_name("Siti"); });
  const v1::Record second = Edit("name", S(kT0 + 2000, "pkm-c"), S(kT0 + 1000, "pos-a"),
                                 [](v1::Patient* p) { p->set_name("Siti Aminah"); });
  std::vector<v1::LostWrite> lost;
  const v1::Record merged = M(M(base, first), second, &lost);
  EXPECT_EQ(PatientView(merged).name(), "Siti Aminah");
  EXPECT_TRUE(lost.empty());
}

TEST(MergeRulesTest, AddWinsOverAConcurrentRemove) {
  const v1::Record base = M(CreatePatient(), AddNik("5371030101260001", S(kT0 + 1, "pos-a")));
  // One node removes the NIK it saw; another, concurrently, adds it again.
  v1::Record remove;
  remove.set_id(kId);
  *remove.mutable_patient()->add_elements() = base.patient().elements(0);
  auto* e = remove.mutable_patient()->mutable_elements(0);
  *e->mutable_removes() = e->adds();
  e->clear_value();
  e->clear_value_stamp();
  e->clear_adds();
  const v1::Record readd = AddNik("5371030101260001", S(kT0 + 2, "pkm-c"));
  EXPECT_EQ(PatientView(M(base, remove)).identifiers_size(), 0);
  EXPECT_EQ(PatientView(M(M(base, remove), readd)).identifiers_size(), 1);
  EXPECT_EQ(PatientView(M(M(base, readd), remove)).identifiers_size(), 1);
}

TEST(MergeRulesTest, CompletedBeatsCancelledAndTheCancelStaysInHistory) {
  v1::Record ref;
  ref.set_id(kId);
  *ref.mutable_created() = S(kT0, "pus-b");
  ref.mutable_referral()->set_reason("weight faltering");
  auto move = [](int state, const v1::Stamp& s) {
    v1::Record d;
    d.set_id(kId);
    d.mutable_referral();
    auto* m = d.add_moves();
    m->set_to_state(state);
    *m->mutable_stamp() = s;
    return d;
  };
  ref = M(ref, move(v1::SENT, S(kT0, "pus-b")));
  // Scenario 5: the Pustu cancels later in time than the offline Puskesmas completes.
  const v1::Record cancel = move(v1::CANCELLED, S(kT0 + 9000, "pus-b"));
  const v1::Record accept = move(v1::ACCEPTED, S(kT0 + 1000, "pkm-c"));
  const v1::Record done = move(v1::COMPLETED, S(kT0 + 2000, "pkm-c"));
  for (const v1::Record& r : {M(M(M(ref, cancel), accept), done), M(M(M(ref, done), accept), cancel)}) {
    v1::Referral view = ReferralView(r);
    EXPECT_EQ(view.state(), v1::COMPLETED);
    ASSERT_EQ(view.history_size(), 4);
    bool cancel_kept = false;
    for (const auto& t : view.history()) {
      if (t.to_state() == v1::CANCELLED) cancel_kept = t.superseded() && t.node() == "pus-b";
    }
    EXPECT_TRUE(cancel_kept);
  }
}

TEST(MergeRulesTest, EnteredInErrorKeepsTheRecordAndTheEarliestMark) {
  v1::Record enc;
  enc.set_id(kId);
  *enc.mutable_created() = S(kT0, "pos-a");
  enc.mutable_encounter()->set_patient_id("p");
  auto mark = [](const v1::Stamp& s, const char* why) {
    v1::Record d;
    d.set_id(kId);
    d.mutable_encounter();
    *d.mutable_error()->mutable_stamp() = s;
    d.mutable_error()->set_reason(why);
    return d;
  };
  const v1::Record merged = M(M(enc, mark(S(kT0 + 9, "pkm-c"), "late")), mark(S(kT0 + 5, "pos-a"), "early"));
  EXPECT_EQ(EncounterView(merged).status(), v1::ENTERED_IN_ERROR);
  EXPECT_EQ(EncounterView(merged).patient_id(), "p");
  EXPECT_EQ(merged.error().reason(), "early");
}

// External ids (the SATUSEHAT server id) are a grow-only set: both nodes'
// adds survive, one per (system, value) with its earliest stamp, sorted, and
// the view shows them.
TEST(MergeRulesTest, ExternalIdsAreAGrowOnlySetKeptByTheEarliestStamp) {
  v1::Record enc;
  enc.set_id(kId);
  *enc.mutable_created() = S(kT0, "pos-a");
  enc.mutable_encounter()->set_patient_id("p");
  auto ext = [](const char* system, const char* value, const v1::Stamp& s) {
    v1::Record d;
    d.set_id(kId);
    d.mutable_encounter();
    v1::ExternalId* x = d.add_external_ids();
    x->set_system(system);
    x->set_value(value);
    *x->mutable_stamp() = s;
    return d;
  };
  const char kSys[] = "https://satusehat.test/fhir-r4/v1/Encounter";
  const v1::Record merged = M(M(M(enc, ext(kSys, "b", S(kT0 + 9, "pkm-c"))), ext(kSys, "b", S(kT0 + 5, "dinkes"))),
                              ext(kSys, "a", S(kT0 + 7, "pkm-c")));
  ASSERT_EQ(merged.external_ids_size(), 2);
  EXPECT_EQ(merged.external_ids(0).value(), "a");
  EXPECT_EQ(merged.external_ids(1).value(), "b");
  EXPECT_EQ(merged.external_ids(1).stamp().node(), "dinkes");
  const v1::Encounter view = EncounterView(merged);
  ASSERT_EQ(view.external_ids_size(), 2);
  EXPECT_EQ(view.external_ids(1).system(), kSys);
  EXPECT_EQ(view.external_ids(1).value(), "b");
  EXPECT_EQ(view.patient_id(), "p");
}

// A stamp's wall is whatever the writing device said; a view must still be
// built (the sync_session fuzzer found a wall past year 9999 aborting a parent).
TEST(MergeRulesTest, ViewsOfStampsBeyondTimestampRangeDoNotAbort) {
  for (int64_t wall : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    v1::Record r = CreatePatient();
    *r.mutable_created() = S(wall, "pos-a");
    const v1::Patient p = PatientView(r);
    EXPECT_EQ(p.create_time().seconds(), wall > 0 ? 253402300799LL : -62135596800LL);
    EXPECT_EQ(p.name(), "Bayi Ny. Siti");
  }
}

TEST(MergeRulesTest, DifferentRecordsAreRejected) {
  v1::Record a = CreatePatient();
  v1::Record b;
  b.set_id(kId);
  b.mutable_encounter();
  EXPECT_EQ(Merge(a, b).status().code(), absl::StatusCode::kInvalidArgument);
  b.set_id("0190a0b1-0000-7000-8000-000000000002");
  b.mutable_patient();
  EXPECT_EQ(Merge(a, b).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ilp
