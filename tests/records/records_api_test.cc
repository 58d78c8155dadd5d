// The Records API end to end: a real ilp::Node serving gRPC on an ephemeral
// 127.0.0.1 port over a RocksDB store in a temp dir, driven through the
// generated ilp.v1.Records stub. Time is a fake clock at 2026-11-23T00:00Z.
// Fixture: records_api_fixture.h. Patients, visits, referrals and links here;
// WatchChanges, restarts and health in records_watch_test.cc.
#include "tests/records/records_api_fixture.h"

namespace ilp::records_api_testing {
namespace {

TEST_F(RecordsApiTest, CreatedPatientCanBeReadAndUpdatedThroughAFieldMask) {
  v1::Patient in;
  in.set_name("Maria Goreti Bano");
  in.add_identifiers()->set_system(v1::NIK);
  in.mutable_identifiers(0)->set_value(kNik);
  *in.mutable_birth_date() = MakeDate(1990, 7, 5);
  in.set_sex(v1::FEMALE);
  in.mutable_address()->set_village_code(kVillage);
  in.mutable_address()->set_dusun("Dusun II");
  in.mutable_address()->set_rw("002");
  in.mutable_address()->set_rt("003");
  in.set_phone("+6281234567890");
  const v1::Patient created = CreatePatient(in);
  EXPECT_TRUE(IsValidUuid(created.id())) << created.id();
  EXPECT_EQ(created.origin_node(), "pkm-1");
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(created.create_time()), kNowMs);
  EXPECT_EQ(created.name(), "Maria Goreti Bano");
  ASSERT_EQ(created.identifiers_size(), 1);
  EXPECT_EQ(created.identifiers(0).value(), kNik);

  v1::GetPatientRequest get;
  get.set_id(created.id());
  v1::Patient got;
  ASSERT_TRUE(Call(&v1::Records::Stub::GetPatient, get, &got).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got, created)) << got.DebugString();

  // Only the masked fields change: the request's empty name and dusun are ignored.
  clock_.Advance(60'000);
  v1::UpdatePatientRequest upd;
  upd.mutable_patient()->set_id(created.id());
  upd.mutable_patient()->mutable_address()->set_rt("007");
  *upd.mutable_patient()->add_identifiers() = created.identifiers(0);
  upd.mutable_patient()->add_identifiers()->set_system(v1::BPJS);
  upd.mutable_patient()->mutable_identifiers(1)->set_value("0001234567890");
  upd.mutable_update_mask()->add_paths("address.rt");
  upd.mutable_update_mask()->add_paths("identifiers");
  v1::Patient updated;
  grpc::Status st = Call(&v1::Records::Stub::UpdatePatient, upd, &updated);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(updated.address().rt(), "007");
  EXPECT_EQ(updated.address().rw(), "002");
  EXPECT_EQ(updated.address().dusun(), "Dusun II");
  EXPECT_EQ(updated.address().village_code(), kVillage);
  EXPECT_EQ(updated.name(), "Maria Goreti Bano");
  EXPECT_EQ(updated.phone(), "+6281234567890");
  std::set<std::string> values;
  for (const auto& id : updated.identifiers()) values.insert(id.value());
  EXPECT_THAT(values, UnorderedElementsAre(kNik, "0001234567890"));
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(updated.create_time()), kNowMs);
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(updated.update_time()), kNowMs + 60'000);

  ASSERT_TRUE(Call(&v1::Records::Stub::GetPatient, get, &got).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got, updated)) << got.DebugString();

  // Replacing the identifier set drops the NIK, and with it the NIK index entry.
  EXPECT_THAT(Ids(Find(kNik, "", "")), ElementsAre(created.id()));
  v1::UpdatePatientRequest drop;
  drop.mutable_patient()->set_id(created.id());
  *drop.mutable_patient()->add_identifiers() = updated.identifiers(
      updated.identifiers(0).system() == v1::BPJS ? 0 : 1);
  drop.mutable_update_mask()->add_paths("identifiers");
  ASSERT_TRUE(Call(&v1::Records::Stub::UpdatePatient, drop, &updated).ok());
  ASSERT_EQ(updated.identifiers_size(), 1);
  EXPECT_EQ(updated.identifiers(0).system(), v1::BPJS);
  EXPECT_TRUE(Find(kNik, "", "").patients().empty());

  // Values outside the mask are neither applied nor validated.
  v1::UpdatePatientRequest phone;
  phone.mutable_patient()->set_id(created.id());
  phone.mutable_patient()->set_phone("081299887766");
  *phone.mutable_patient()->mutable_deceased_date() = MakeDate(2026, 11, 1);
  phone.mutable_patient()->mutable_address()->set_rt("not a number");
  phone.mutable_update_mask()->add_paths("phone");
  st = Call(&v1::Records::Stub::UpdatePatient, phone, &updated);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(updated.phone(), "081299887766");
  EXPECT_EQ(updated.address().rt(), "007");
  EXPECT_FALSE(updated.has_deceased_date());
  EXPECT_TRUE(node_->store()->Verify().ok());
}

TEST_F(RecordsApiTest, FindPatientsByNikNamePrefixOrVillage) {
  const v1::Patient siti = CreatePatient("Siti Aminah", kVillage, kNik);
  const v1::Patient rahma = CreatePatient("SITI   Rahma", kVillage2, kNik2);
  const v1::Patient maria = CreatePatient("Maria Bano", kVillage);
  v1::Patient baby_in;
  baby_in.set_name("Bayi Ny. Siti");
  baby_in.add_identifiers()->set_system(v1::NIK_IBU);
  baby_in.mutable_identifiers(0)->set_value(kNik);
  baby_in.mutable_address()->set_village_code(kVillage);
  const v1::Patient baby = CreatePatient(baby_in);

  // NIK matches the patient's own NIK and a newborn's mother's NIK.
  EXPECT_THAT(Ids(Find(kNik, "", "")), UnorderedElementsAre(siti.id(), baby.id()));
  EXPECT_THAT(Ids(Find(kNik2, "", "")), ElementsAre(rahma.id()));
  EXPECT_TRUE(Find("5371034507900009", "", "").patients().empty());

  // Name prefixes ignore case and collapse whitespace.
  EXPECT_THAT(Ids(Find("", "siti", "")), UnorderedElementsAre(siti.id(), rahma.id()));
  EXPECT_THAT(Ids(Find("", "sItI", "")), UnorderedElementsAre(siti.id(), rahma.id()));
  EXPECT_THAT(Ids(Find("", "Siti  r", "")), ElementsAre(rahma.id()));
  EXPECT_THAT(Ids(Find("", "MA", "")), ElementsAre(maria.id()));
  EXPECT_TRUE(Find("", "ani", "").patients().empty());

  EXPECT_THAT(Ids(Find("", "", kVillage)), UnorderedElementsAre(siti.id(), maria.id(), baby.id()));
  EXPECT_THAT(Ids(Find("", "", kVillage2)), ElementsAre(rahma.id()));
  EXPECT_EQ(Find("", "", kVillage, /*page_size=*/2).patients_size(), 2);

  // The returned records are full patients.
  v1::FindPatientsResponse r = Find(kNik2, "", "");
  ASSERT_EQ(r.patients_size(), 1);
  EXPECT_EQ(r.patients(0).name(), "SITI   Rahma");
  EXPECT_EQ(r.patients(0).address().village_code(), kVillage2);
}

TEST_F(RecordsApiTest, EncounterWithMeasurementsAndVaccinesAppearsInHistory) {
  const v1::Patient child = CreatePatient("Yohanes Lay", kVillage);
  v1::Immunization mr;
  mr.set_kfa_code("93000123");
  mr.set_antigen("MR");
  mr.set_dose_number(1);
  mr.set_lot("MR-2026-11");
  *mr.mutable_date() = MakeDate(2026, 11, 22);
  const v1::RecordEncounterResponse enc = RecordEncounter(
      child.id(),
      {Obs("29463-7", 11.2, "kg"), Obs("8302-2", 82.5, "cm"), Obs("56072-2", 14.1, "cm")},
      {mr});
  ASSERT_TRUE(IsValidUuid(enc.encounter().id()));
  EXPECT_EQ(enc.encounter().node(), "pkm-1");
  EXPECT_EQ(enc.encounter().status(), v1::FINAL);
  ASSERT_EQ(enc.observations_size(), 3);
  ASSERT_EQ(enc.immunizations_size(), 1);
  for (const auto& o : enc.observations()) {
    EXPECT_EQ(o.patient_id(), child.id());
    EXPECT_EQ(o.encounter_id(), enc.encounter().id());
    EXPECT_TRUE(MessageDifferencer::Equals(o.time(), enc.encounter().time()));
    EXPECT_EQ(o.status(), v1::FINAL);
  }
  EXPECT_EQ(enc.immunizations(0).patient_id(), child.id());
  EXPECT_EQ(enc.immunizations(0).encounter_id(), enc.encounter().id());

  std::vector<std::string> want = {enc.encounter().id(), enc.immunizations(0).id()};
  for (const auto& o : enc.observations()) want.push_back(o.id());
  v1::ListPatientHistoryResponse h = History(child.id());
  EXPECT_EQ(h.patient().id(), child.id());
  EXPECT_THAT(HistoryIds(h), UnorderedElementsAreArray(want));
  std::vector<std::string> ids = HistoryIds(h);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  // Marking the height wrong keeps it in the history, flagged.
  const std::string height_id = enc.observations(1).id();
  v1::MarkEnteredInErrorRequest mark;
  mark.set_id(height_id);
  mark.set_reason("length board misread; re-measured");
  v1::MarkEnteredInErrorResponse marked;
  ASSERT_TRUE(Call(&v1::Records::Stub::MarkEnteredInError, mark, &marked).ok());
  EXPECT_EQ(marked.id(), height_id);
  h = History(child.id());
  EXPECT_EQ(h.items_size(), 5);
  for (const auto& item : h.items()) {
    if (!item.has_observation()) continue;
    EXPECT_EQ(item.observation().status(),
              item.observation().id() == height_id ? v1::ENTERED_IN_ERROR : v1::FINAL);
  }

  // A second mark changes nothing: the first one stands.
  const uint64_t seq = node_->store()->LastSeq();
  mark.set_reason("another reason");
  ASSERT_TRUE(Call(&v1::Records::Stub::MarkEnteredInError, mark, &marked).ok());
  EXPECT_EQ(node_->store()->LastSeq(), seq);
  absl::StatusOr<v1::Record> rec = node_->store()->Get(height_id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->error().reason(), "length board misread; re-measured");

  // Patients are not append-only records.
  mark.set_id(child.id());
  grpc::Status st = Call(&v1::Records::Stub::MarkEnteredInError, mark, &marked);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(RecordsApiTest, ReferralMovesThroughItsLifecycleAndRejectsIllegalMoves) {
  const v1::Patient p = CreatePatient("Yohanes Lay", kVillage);
  const v1::Referral sent = CreateReferral(p.id(), kPustu, "pkm-1");
  ASSERT_TRUE(IsValidUuid(sent.id()));
  EXPECT_EQ(sent.state(), v1::SENT);
  EXPECT_EQ(sent.priority(), v1::ROUTINE);
  EXPECT_EQ(sent.from_node(), kPustu);
  ASSERT_EQ(sent.history_size(), 1);

  v1::Referral r;
  for (v1::ReferralState to : {v1::RECEIVED, v1::ACCEPTED, v1::COMPLETED}) {
    clock_.Advance(1000);
    grpc::Status st = Transition(sent.id(), to, v1::ReferralState_Name(to) + " by pkm-1", &r);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(r.state(), to);
  }
  ASSERT_EQ(r.history_size(), 4);
  const v1::ReferralState order[] = {v1::SENT, v1::RECEIVED, v1::ACCEPTED, v1::COMPLETED};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.history(i).to_state(), order[i]);
    EXPECT_EQ(r.history(i).time_ms(), kNowMs + 1000 * i);
    EXPECT_EQ(r.history(i).node(), "pkm-1");
    EXPECT_FALSE(r.history(i).superseded());
  }
  EXPECT_EQ(r.history(3).note(), "COMPLETED by pkm-1");

  v1::GetReferralRequest get;
  get.set_id(sent.id());
  v1::Referral got;
  ASSERT_TRUE(Call(&v1::Records::Stub::GetReferral, get, &got).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got, r)) << got.DebugString();

  // COMPLETED is final.
  const uint64_t seq = node_->store()->LastSeq();
  grpc::Status st = Transition(sent.id(), v1::CANCELLED, "too late", &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("is COMPLETED; it cannot move to CANCELLED"));
  // And a fresh referral cannot skip to COMPLETED.
  const v1::Referral other = CreateReferral(p.id(), kPustu, "pkm-1");
  st = Transition(other.id(), v1::COMPLETED, "", &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(node_->store()->LastSeq(), seq + 1);  // only the second create was written
}

TEST_F(RecordsApiTest, BackReferralCreatesAFollowUpTaskForTheReferringNode) {
  const v1::Patient p = CreatePatient("Yohanes Lay", kVillage);
  const v1::Referral ref = CreateReferral(p.id(), kPustu, "pkm-1");
  v1::Referral r;
  ASSERT_TRUE(Transition(ref.id(), v1::ACCEPTED, "", &r).ok());

  v1::RespondToReferralRequest req;
  v1::ReferralResponse* resp = req.mutable_response();
  resp->set_referral_id(ref.id());
  resp->set_diagnosis("E44.0 moderate protein-energy malnutrition");
  resp->set_treatment("PMT (supplementary food) 90 days");
  resp->set_instructions("weigh every 2 weeks; refer back if weight drops");
  *resp->mutable_next_control_date() = MakeDate(2026, 12, 7);
  req.set_task_description("Re-weigh in 2 weeks and check PMT intake");
  v1::RespondToReferralResponse out;
  grpc::Status st = Call(&v1::Records::Stub::RespondToReferral, req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(IsValidUuid(out.response().id()));
  EXPECT_EQ(out.response().from_node(), "pkm-1");
  EXPECT_EQ(out.response().patient_id(), p.id());
  EXPECT_EQ(out.response().status(), v1::FINAL);
  const v1::Task& task = out.task();
  ASSERT_TRUE(IsValidUuid(task.id()));
  EXPECT_EQ(task.assignee_node(), kPustu);
  EXPECT_EQ(task.patient_id(), p.id());
  EXPECT_EQ(task.origin_id(), out.response().id());
  EXPECT_EQ(task.origin_node(), "pkm-1");
  EXPECT_EQ(task.state(), v1::OPEN);
  EXPECT_TRUE(MessageDifferencer::Equals(task.due_date(), MakeDate(2026, 12, 7)));

  // The task is listed for the Pustu, not for this node.
  v1::ListTasksResponse pustu_tasks = Tasks(kPustu, false);
  ASSERT_EQ(pustu_tasks.tasks_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(pustu_tasks.tasks(0), task));
  EXPECT_TRUE(Tasks("", false).tasks().empty());
  EXPECT_TRUE(Tasks("pkm-1", true).tasks().empty());

  v1::UpdateTaskRequest upd;
  upd.set_id(task.id());
  upd.set_to_state(v1::IN_PROGRESS);
  v1::Task t;
  ASSERT_TRUE(Call(&v1::Records::Stub::UpdateTask, upd, &t).ok());
  EXPECT_EQ(t.state(), v1::IN_PROGRESS);
  clock_.Advance(14 * 24 * kHourMs);
  upd.set_to_state(v1::TASK_COMPLETED);
  upd.set_note("weight 11.8 kg, up 0.6 kg; PMT taken daily");
  st = Call(&v1::Records::Stub::UpdateTask, upd, &t);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(t.state(), v1::TASK_COMPLETED);
  EXPECT_EQ(t.outcome(), "weight 11.8 kg, up 0.6 kg; PMT taken daily");
  ASSERT_EQ(t.history_size(), 3);
  EXPECT_EQ(t.history(2).time_ms(), kNowMs + 14 * 24 * kHourMs);

  // Closed tasks are listed only on request.
  EXPECT_TRUE(Tasks(kPustu, false).tasks().empty());
  v1::ListTasksResponse closed = Tasks(kPustu, true);
  ASSERT_EQ(closed.tasks_size(), 1);
  EXPECT_EQ(closed.tasks(0).outcome(), t.outcome());

  // The patient's history holds the referral, the back-referral and the task.
  EXPECT_THAT(HistoryIds(History(p.id())),
              UnorderedElementsAre(ref.id(), out.response().id(), task.id()));
}

TEST_F(RecordsApiTest, LinkedDuplicateRecordsShowInTheSurvivorsHistory) {
  const v1::Patient survivor = CreatePatient("Maria Goreti Bano", kVillage, kNik);
  const v1::Patient duplicate = CreatePatient("Maria G. Bano", kVillage);
  const v1::RecordEncounterResponse e1 = RecordEncounter(survivor.id(), {Obs("29463-7", 54, "kg")});
  clock_.Advance(1000);
  const v1::RecordEncounterResponse e2 =
      RecordEncounter(duplicate.id(), {Obs("8480-6", 150, "mm[Hg]")});

  v1::LinkPatientsRequest link;
  link.set_duplicate_id(duplicate.id());
  link.set_survivor_id(survivor.id());
  v1::Patient linked;
  grpc::Status st = Call(&v1::Records::Stub::LinkPatients, link, &linked);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(linked.id(), duplicate.id());
  EXPECT_EQ(linked.same_as(), survivor.id());

  const std::vector<std::string> all = {e1.encounter().id(), e1.observations(0).id(),
                                        e2.encounter().id(), e2.observations(0).id()};
  v1::ListPatientHistoryResponse h = History(survivor.id());
  EXPECT_EQ(h.patient().id(), survivor.id());
  EXPECT_THAT(HistoryIds(h), UnorderedElementsAreArray(all));
  // Asking by the duplicate's id resolves to the survivor too.
  h = History(duplicate.id());
  EXPECT_EQ(h.patient().id(), survivor.id());
  EXPECT_THAT(HistoryIds(h), UnorderedElementsAreArray(all));

  v1::GetPatientRequest get;
  get.set_id(duplicate.id());
  v1::Patient got;
  ASSERT_TRUE(Call(&v1::Records::Stub::GetPatient, get, &got).ok());
  EXPECT_EQ(got.id(), duplicate.id());
  get.set_resolve_links(true);
  ASSERT_TRUE(Call(&v1::Records::Stub::GetPatient, get, &got).ok());
  EXPECT_EQ(got.id(), survivor.id());

  // Linking again writes nothing; linking back would make a cycle.
  const uint64_t seq = node_->store()->LastSeq();
  ASSERT_TRUE(Call(&v1::Records::Stub::LinkPatients, link, &linked).ok());
  EXPECT_EQ(node_->store()->LastSeq(), seq);
  v1::LinkPatientsRequest back;
  back.set_duplicate_id(survivor.id());
  back.set_survivor_id(duplicate.id());
  st = Call(&v1::Records::Stub::LinkPatients, back, &linked);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(node_->store()->LastSeq(), seq);
}


}  // namespace
}  // namespace ilp::records_api_testing
