// The Records API end to end (records_api_fixture.h): WatchChanges with and
// without follow, errors over gRPC, a restart, and the health service.
#include "tests/records/records_api_fixture.h"

namespace ilp::records_api_testing {
namespace {

TEST_F(RecordsApiTest, WatchChangesWithoutFollowReturnsEveryChangeInSeqOrder) {
  const v1::Patient p = CreatePatient("Siti Aminah", kVillage, kNik);
  const v1::RecordEncounterResponse e = RecordEncounter(p.id(), {Obs("29463-7", 54, "kg")});
  const v1::Referral r = CreateReferral(p.id(), "", "rsud-kupang");
  const uint64_t last = node_->store()->LastSeq();
  ASSERT_EQ(last, 4u);  // patient, encounter, observation, referral

  std::vector<v1::ChangeEvent> changes = ReadAllChanges(0);
  ASSERT_EQ(changes.size(), last);
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].seq(), i + 1);
    EXPECT_EQ(changes[i].via(), "");
    EXPECT_EQ(changes[i].delta().id(), changes[i].record_id());
  }
  EXPECT_EQ(changes[0].record_id(), p.id());
  EXPECT_EQ(changes[0].kind(), "patient");
  EXPECT_EQ(changes[0].delta().patient().value().name(), "Siti Aminah");
  EXPECT_EQ(changes[1].record_id(), e.encounter().id());
  EXPECT_EQ(changes[1].kind(), "encounter");
  EXPECT_EQ(changes[2].record_id(), e.observations(0).id());
  EXPECT_EQ(changes[2].kind(), "observation");
  EXPECT_EQ(changes[3].record_id(), r.id());
  EXPECT_EQ(changes[3].kind(), "referral");

  // A cursor resumes after itself; a cursor at the head returns nothing.
  std::vector<v1::ChangeEvent> tail = ReadAllChanges(2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].seq(), 3u);
  EXPECT_EQ(tail[1].seq(), 4u);
  EXPECT_TRUE(ReadAllChanges(last).empty());
}

TEST_F(RecordsApiTest, WatchChangesWithFollowDeliversAChangeMadeAfterTheStreamStarted) {
  const v1::Patient first = CreatePatient("Siti Aminah", kVillage, kNik);

  v1::WatchChangesRequest req;
  req.set_after_seq(0);
  req.set_follow(true);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  std::unique_ptr<grpc::ClientReader<v1::ChangeEvent>> reader = stub_->WatchChanges(&ctx, req);
  v1::ChangeEvent ev;
  ASSERT_TRUE(reader->Read(&ev));  // the stream is live and caught up
  EXPECT_EQ(ev.seq(), 1u);
  EXPECT_EQ(ev.record_id(), first.id());

  // The batch just delivered writes its audit event into the log (never
  // streamed), so later seqs may skip one; each is the record's own entry.
  uint64_t prev = ev.seq();
  const v1::Patient second = CreatePatient("Maria Bano", kVillage);
  ASSERT_TRUE(reader->Read(&ev));
  EXPECT_GT(ev.seq(), prev);
  EXPECT_EQ(ev.record_id(), second.id());
  EXPECT_EQ(ev.kind(), "patient");
  prev = ev.seq();

  const v1::RecordEncounterResponse e = RecordEncounter(second.id());
  ASSERT_TRUE(reader->Read(&ev));
  EXPECT_GT(ev.seq(), prev);
  EXPECT_EQ(ev.record_id(), e.encounter().id());
  EXPECT_EQ(ev.kind(), "encounter");

  ctx.TryCancel();
  while (reader->Read(&ev)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(RecordsApiTest, BadInputFailsWithInvalidArgumentNamingTheFieldOverGrpc) {
  const v1::Patient p = CreatePatient("Siti Aminah", kVillage, kNik);
  const uint64_t seq = node_->store()->LastSeq();

  v1::CreatePatientRequest create;
  create.mutable_patient()->set_name("Maria Bano");
  create.mutable_patient()->add_identifiers()->set_system(v1::NIK);
  create.mutable_patient()->mutable_identifiers(0)->set_value("537103450790001");
  v1::Patient out;
  grpc::Status st = Call(&v1::Records::Stub::CreatePatient, create, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("patient.identifiers[0].value"));
  EXPECT_THAT(st.error_message(), HasSubstr("16 digits"));

  v1::RecordEncounterRequest enc;
  enc.mutable_encounter()->set_patient_id(p.id());
  enc.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
  *enc.mutable_encounter()->mutable_time() = TimeUtil::MillisecondsToTimestamp(kNowMs);
  *enc.add_observations() = Obs("29463-7", 0.2, "kg");
  v1::RecordEncounterResponse enc_out;
  st = Call(&v1::Records::Stub::RecordEncounter, enc, &enc_out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("observations[0].value"));

  v1::UpdatePatientRequest upd;
  upd.mutable_patient()->set_id(p.id());
  upd.mutable_update_mask()->add_paths("id");
  st = Call(&v1::Records::Stub::UpdatePatient, upd, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("update_mask"));

  v1::GetPatientRequest get;
  get.set_id("019ab000-0000-7000-8000-0000000000f1");
  st = Call(&v1::Records::Stub::GetPatient, get, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(node_->store()->LastSeq(), seq);
}

TEST_F(RecordsApiTest, RecordsSurviveANodeRestart) {
  const v1::Patient p = CreatePatient("Siti Aminah", kVillage, kNik);
  StopNode();
  StartNode();
  v1::GetPatientRequest get;
  get.set_id(p.id());
  v1::Patient got;
  grpc::Status st = Call(&v1::Records::Stub::GetPatient, get, &got);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(got, p));
  EXPECT_EQ(node_->store()->LastSeq(), 1u);
  EXPECT_TRUE(node_->store()->Verify().ok());
}

TEST_F(RecordsApiTest, StandardHealthServiceReportsServing) {
  // grpc.health.v1.HealthCheckRequest{service: ""} encodes to no bytes; the
  // response HealthCheckResponse{status: SERVING (1)} to field 1 varint 1.
  std::string resp;
  grpc::Status st = RawUnaryCall("/grpc.health.v1.Health/Check", "", &resp);
  ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(resp.data()),
                                            static_cast<int>(resp.size()));
  EXPECT_EQ(in.ReadTag(), (1u << 3) | 0u);  // field 1, varint
  uint32_t status = 0;
  ASSERT_TRUE(in.ReadVarint32(&status));
  EXPECT_EQ(status, 1u);  // SERVING
  EXPECT_EQ(in.ReadTag(), 0u);  // nothing else

  // A service the server does not know is NOT_FOUND.
  std::string req = std::string("\x0a", 1) + static_cast<char>(15) + "no.such.Service";
  st = RawUnaryCall("/grpc.health.v1.Health/Check", req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}


}  // namespace
}  // namespace ilp::records_api_testing
