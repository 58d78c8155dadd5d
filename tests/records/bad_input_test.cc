// Every bad input to the Records API is rejected with the right status code,
// an error message that names the offending field, and no trace in the store.
//
// The cases run against ilp::RecordsCore over a real Store in a temp dir, on
// a fake clock fixed at 2026-11-23T00:00:00Z.
//
// The cases are a table, by resource: bad_cases_*.cc; the fixture is here.

#include "tests/records/bad_input.h"

namespace ilp::bad_input {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.Sub("store"), &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    hlc_ = std::make_unique<HybridClock>(&clock_, "pkm-1", /*trusted_time_source=*/true,
                                         300'000);
    core_ = std::make_unique<RecordsCore>(store_.get(), hlc_.get(), &random_);

    v1::CreatePatientRequest cp;
    *cp.mutable_patient() = ValidPatient();
    cp.mutable_patient()->set_id(kPatientId);
    ASSERT_TRUE(core_->CreatePatient(cp).ok());

    v1::CreatePatientRequest dup;
    dup.mutable_patient()->set_id(kDuplicateId);
    dup.mutable_patient()->set_name("Maria G. Bano");
    dup.mutable_patient()->mutable_address()->set_village_code(kVillage);
    ASSERT_TRUE(core_->CreatePatient(dup).ok());
    v1::LinkPatientsRequest link;
    link.set_duplicate_id(kDuplicateId);
    link.set_survivor_id(kPatientId);
    ASSERT_TRUE(core_->LinkPatients(link).ok());

    v1::RecordEncounterRequest enc;
    *enc.mutable_encounter() = ValidEncounter();
    enc.mutable_encounter()->set_id(kEncounterId);
    *enc.add_observations() = Weight(55.5);
    enc.mutable_observations(0)->set_id(kObservationId);
    ASSERT_TRUE(core_->RecordEncounter(enc).ok());

    v1::CreateReferralRequest ref;
    *ref.mutable_referral() = ValidReferral();
    ref.mutable_referral()->set_id(kReferralId);
    ASSERT_TRUE(core_->CreateReferral(ref).ok());

    v1::CreateReferralRequest ref2;
    *ref2.mutable_referral() = ValidReferral();
    ref2.mutable_referral()->set_id(kCancelledReferralId);
    ASSERT_TRUE(core_->CreateReferral(ref2).ok());
    v1::TransitionReferralRequest cancel;
    cancel.set_id(kCancelledReferralId);
    cancel.set_to_state(v1::CANCELLED);
    cancel.set_note("family took the patient to the hospital directly");
    ASSERT_TRUE(core_->TransitionReferral(cancel).ok());

    v1::RespondToReferralRequest resp;
    resp.mutable_response()->set_id(kResponseId);
    resp.mutable_response()->set_referral_id(kReferralId);
    resp.mutable_response()->set_diagnosis("I10 essential hypertension");
    resp.mutable_response()->set_treatment("amlodipine 5 mg daily");
    *resp.mutable_response()->mutable_next_control_date() = MakeDate(2026, 12, 7);
    resp.set_task_description("check blood pressure and adherence in 2 weeks");
    resp.set_task_id(kTaskId);
    ASSERT_TRUE(core_->RespondToReferral(resp).ok());

    ASSERT_TRUE(store_->Verify().ok());
  }

  // Everything the store holds, as one comparable string: the whole change
  // log (Verify() checks that the records and indexes equal its replay) and
  // the record counts by kind.
  std::string StoreFingerprint() const {
    std::string out;
    auto changes = store_->ReadChanges(0, SIZE_MAX, SIZE_MAX);
    EXPECT_TRUE(changes.ok()) << changes.status();
    if (changes.ok()) {
      for (const v1::Change& c : *changes) out += c.SerializeAsString() + "|";
    }
    for (const auto& [kind, n] : store_->Stats().records_by_kind) {
      out += kind + "=" + std::to_string(n) + ";";
    }
    return out;
  }

  // The stored bytes of `id`, or nullopt if absent.
  std::optional<std::string> Stored(const std::string& id) const {
    absl::StatusOr<v1::Record> r = store_->Get(id);
    if (absl::IsNotFound(r.status())) return std::nullopt;
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::optional<std::string>(r->SerializeAsString()) : std::nullopt;
  }

  testing::TempDir dir_;
  FakeClock clock_{kNowMs};
  SeededRandom random_{20261123};
  std::unique_ptr<Store> store_;
  std::unique_ptr<HybridClock> hlc_;
  std::unique_ptr<RecordsCore> core_;
};

std::vector<BadCase> BadCases() {
  std::vector<BadCase> cases;
  for (auto part : {PatientCases, VisitCases, ReferralCases}) {
    for (BadCase& c : part()) cases.push_back(std::move(c));
  }
  return cases;
}

TEST_F(BadInputTest, EveryBadInputIsRejectedAndStoresNothing) {
  const std::vector<BadCase> cases = BadCases();
  ASSERT_GE(cases.size(), 35u);
  std::set<std::string> names;
  for (const BadCase& c : cases) ASSERT_TRUE(names.insert(c.name).second) << c.name;

  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    const uint64_t seq_before = store_->LastSeq();
    const std::string fingerprint_before = StoreFingerprint();
    std::map<std::string, std::optional<std::string>> before;
    for (const std::string& id : c.ids) before[id] = Stored(id);

    const absl::Status st = c.call(*core_);

    EXPECT_EQ(st.code(), c.code) << st;
    EXPECT_THAT(std::string(st.message()), HasSubstr(c.message_part));
    EXPECT_EQ(store_->LastSeq(), seq_before);
    EXPECT_TRUE(StoreFingerprint() == fingerprint_before) << "the store's contents changed";
    const absl::Status verify = store_->Verify();
    EXPECT_TRUE(verify.ok()) << verify;
    for (const std::string& id : c.ids) {
      EXPECT_TRUE(Stored(id) == before[id]) << "record " << id << " was written";
    }
  }
}

TEST_F(BadInputTest, ErrorMessagesExplainTheRule) {
  // Spot checks that the message says what is wrong, not only where.
  v1::CreatePatientRequest req;
  *req.mutable_patient() = PatientWithNik("537103450790001");
  EXPECT_EQ(core_->CreatePatient(req).status().message(),
            "patient.identifiers[0].value: a NIK must be 16 digits, got \"537103450790001\"");

  v1::RecordEncounterRequest enc;
  *enc.mutable_encounter() = FreshEncounter();
  *enc.add_observations() = Weight(0.2);
  EXPECT_THAT(std::string(core_->RecordEncounter(enc).status().message()),
              HasSubstr("body weight must be 0.3-300 kg, got 0.2"));
}

TEST_F(BadInputTest, ADamagedStoredRecordIsDataLossNotASilentlyShorterAnswer) {
  // Field 1, length 5, then only 2 bytes: the stored observation cannot parse.
  ASSERT_TRUE(store_->TEST_PutRawRecord(kObservationId, std::string("\x0a\x05" "ab", 4)).ok());
  v1::ListPatientHistoryRequest history;
  history.set_patient_id(kPatientId);
  absl::Status st = core_->ListPatientHistory(history).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(kObservationId));
  // A create that must check the id is free reports the damage too, not "free".
  v1::RecordEncounterRequest enc;
  *enc.mutable_encounter() = FreshEncounter();
  *enc.add_observations() = Weight(50);
  enc.mutable_observations(0)->set_id(kObservationId);
  EXPECT_EQ(core_->RecordEncounter(enc).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(BadInputTest, RepeatedCreateWithSameIdAndContentSucceedsAndWritesNothing) {
  const uint64_t seq = store_->LastSeq();
  const std::string fingerprint = StoreFingerprint();

  // The exact SetUp requests again: each succeeds and returns the stored record.
  v1::CreatePatientRequest cp;
  *cp.mutable_patient() = ValidPatient();
  cp.mutable_patient()->set_id(kPatientId);
  absl::StatusOr<v1::Patient> p = core_->CreatePatient(cp);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->id(), kPatientId);
  EXPECT_EQ(p->name(), "Maria Goreti Bano");
  EXPECT_EQ(p->origin_node(), "pkm-1");

  v1::RecordEncounterRequest enc;
  *enc.mutable_encounter() = ValidEncounter();
  enc.mutable_encounter()->set_id(kEncounterId);
  *enc.add_observations() = Weight(55.5);
  enc.mutable_observations(0)->set_id(kObservationId);
  absl::StatusOr<v1::RecordEncounterResponse> e = core_->RecordEncounter(enc);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->encounter().id(), kEncounterId);
  ASSERT_EQ(e->observations_size(), 1);
  EXPECT_EQ(e->observations(0).id(), kObservationId);

  v1::CreateReferralRequest ref;
  *ref.mutable_referral() = ValidReferral();
  ref.mutable_referral()->set_id(kReferralId);
  absl::StatusOr<v1::Referral> r = core_->CreateReferral(ref);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state(), v1::SENT);

  v1::RespondToReferralRequest resp;
  resp.mutable_response()->set_id(kResponseId);
  resp.mutable_response()->set_referral_id(kReferralId);
  resp.mutable_response()->set_diagnosis("I10 essential hypertension");
  resp.mutable_response()->set_treatment("amlodipine 5 mg daily");
  *resp.mutable_response()->mutable_next_control_date() = MakeDate(2026, 12, 7);
  resp.set_task_description("check blood pressure and adherence in 2 weeks");
  resp.set_task_id(kTaskId);
  absl::StatusOr<v1::RespondToReferralResponse> rr = core_->RespondToReferral(resp);
  ASSERT_TRUE(rr.ok()) << rr.status();
  EXPECT_EQ(rr->response().id(), kResponseId);
  EXPECT_EQ(rr->task().id(), kTaskId);

  EXPECT_EQ(store_->LastSeq(), seq);
  EXPECT_TRUE(StoreFingerprint() == fingerprint) << "the store's contents changed";
  EXPECT_TRUE(store_->Verify().ok());

  // A later clock does not turn the repeat into a new write either.
  clock_.Advance(kDayMs);
  ASSERT_TRUE(core_->CreatePatient(cp).ok());
  EXPECT_EQ(store_->LastSeq(), seq);
}

}  // namespace
}  // namespace ilp::bad_input
