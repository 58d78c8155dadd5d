// The fixture of the Records API end-to-end tests (records_api_test.cc,
// records_watch_test.cc): a real ilp::Node serving gRPC on an ephemeral
// 127.0.0.1 port over a RocksDB store in a temp dir, driven through the
// generated ilp.v1.Records stub. Time is a fake clock at 2026-11-23T00:00Z.
#ifndef ILP_TESTS_RECORDS_RECORDS_API_FIXTURE_H_
#define ILP_TESTS_RECORDS_RECORDS_API_FIXTURE_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/node/config.h"
#include "services/node/node.h"
#include "storage/clock/clock.h"
#include "storage/util/ids.h"
#include "storage/util/random.h"
#include "tests/common/temp_dir.h"


namespace ilp::records_api_testing {


using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr int64_t kNowMs = 1795392000000;  // 2026-11-23T00:00:00Z
constexpr int64_t kHourMs = 3600 * 1000;
constexpr char kNik[] = "5371034507900001";    // woman born 05-07-1990
constexpr char kNik2[] = "5371031203850002";   // man born 12-03-1985
constexpr char kVillage[] = "5371031001";
constexpr char kVillage2[] = "5371032002";
constexpr char kPustu[] = "pus-5371031001";

inline v1::Date MakeDate(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

inline v1::Observation Obs(const char* loinc, double value, const char* unit) {
  v1::Observation o;
  o.set_loinc(loinc);
  o.set_value(value);
  o.set_unit(unit);
  return o;
}

inline std::vector<std::string> Ids(const v1::FindPatientsResponse& r) {
  std::vector<std::string> out;
  for (const auto& p : r.patients()) out.push_back(p.id());
  return out;
}

inline std::string HistoryItemId(const v1::HistoryItem& item) {
  switch (item.item_case()) {
    case v1::HistoryItem::kEncounter: return item.encounter().id();
    case v1::HistoryItem::kObservation: return item.observation().id();
    case v1::HistoryItem::kImmunization: return item.immunization().id();
    case v1::HistoryItem::kReferral: return item.referral().id();
    case v1::HistoryItem::kResponse: return item.response().id();
    case v1::HistoryItem::kTask: return item.task().id();
    case v1::HistoryItem::ITEM_NOT_SET: break;
  }
  return "";
}

inline std::vector<std::string> HistoryIds(const v1::ListPatientHistoryResponse& h) {
  std::vector<std::string> out;
  for (const auto& item : h.items()) out.push_back(HistoryItemId(item));
  return out;
}

class RecordsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.set_node_id("pkm-1");
    cfg_.set_tier(v1::PUSKESMAS);
    cfg_.add_working_area("537103");
    cfg_.set_listen_address("127.0.0.1:0");
    cfg_.set_data_dir(dir_.Sub("data"));
    cfg_.set_insecure(true);  // in-process, loopback
    const absl::Status valid = ValidateNodeConfig(&cfg_);
    ASSERT_TRUE(valid.ok()) << valid;
    StartNode();
  }

  void TearDown() override { StopNode(); }

  void StartNode() {
    absl::StatusOr<std::unique_ptr<Node>> node = Node::Start(cfg_, &clock_, &random_);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
    ASSERT_THAT(node_->address(), ::testing::StartsWith("127.0.0.1:"));
    ASSERT_NE(node_->address(), "127.0.0.1:0");
    channel_ = grpc::CreateChannel(node_->address(), grpc::InsecureChannelCredentials());  // insecure: loopback
    stub_ = v1::Records::NewStub(channel_);
  }

  void StopNode() {
    stub_.reset();
    channel_.reset();
    if (node_) node_->Shutdown();
    node_.reset();
  }

  static void SetDeadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  // One unary call with a deadline.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::Records::Stub::*method)(grpc::ClientContext*, const Req&,
                                                             Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  v1::Patient CreatePatient(const v1::Patient& p) {
    v1::CreatePatientRequest req;
    *req.mutable_patient() = p;
    v1::Patient out;
    grpc::Status st = Call(&v1::Records::Stub::CreatePatient, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::Patient CreatePatient(const std::string& name, const std::string& village,
                            const std::string& nik = "") {
    v1::Patient p;
    p.set_name(name);
    p.mutable_address()->set_village_code(village);
    if (!nik.empty()) {
      p.add_identifiers()->set_system(v1::NIK);
      p.mutable_identifiers(0)->set_value(nik);
    }
    return CreatePatient(p);
  }

  v1::RecordEncounterResponse RecordEncounter(const std::string& patient_id,
                                              std::vector<v1::Observation> obs = {},
                                              std::vector<v1::Immunization> imms = {}) {
    v1::RecordEncounterRequest req;
    v1::Encounter* e = req.mutable_encounter();
    e->set_patient_id(patient_id);
    e->set_kind(v1::POSYANDU_SESSION);
    e->set_life_stage(v1::TODDLER);
    e->set_performer("Kader Yuliana");
    *e->mutable_time() = TimeUtil::MillisecondsToTimestamp(clock_.NowMs() - kHourMs);
    for (auto& o : obs) *req.add_observations() = o;
    for (auto& i : imms) *req.add_immunizations() = i;
    v1::RecordEncounterResponse out;
    grpc::Status st = Call(&v1::Records::Stub::RecordEncounter, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::Referral CreateReferral(const std::string& patient_id, const std::string& from,
                              const std::string& to) {
    v1::CreateReferralRequest req;
    v1::Referral* r = req.mutable_referral();
    r->set_patient_id(patient_id);
    r->set_from_node(from);
    r->set_to_node(to);
    r->set_reason("weight faltering 2 months");
    v1::Referral out;
    grpc::Status st = Call(&v1::Records::Stub::CreateReferral, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  grpc::Status Transition(const std::string& id, v1::ReferralState to, const std::string& note,
                          v1::Referral* out) {
    v1::TransitionReferralRequest req;
    req.set_id(id);
    req.set_to_state(to);
    req.set_note(note);
    return Call(&v1::Records::Stub::TransitionReferral, req, out);
  }

  v1::ListPatientHistoryResponse History(const std::string& patient_id) {
    v1::ListPatientHistoryRequest req;
    req.set_patient_id(patient_id);
    v1::ListPatientHistoryResponse out;
    grpc::Status st = Call(&v1::Records::Stub::ListPatientHistory, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::FindPatientsResponse Find(const std::string& nik, const std::string& prefix,
                                const std::string& village, int page_size = 0) {
    v1::FindPatientsRequest req;
    req.set_nik(nik);
    req.set_name_prefix(prefix);
    req.set_village_code(village);
    req.set_page_size(page_size);
    v1::FindPatientsResponse out;
    grpc::Status st = Call(&v1::Records::Stub::FindPatients, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::ListTasksResponse Tasks(const std::string& node, bool include_closed) {
    v1::ListTasksRequest req;
    req.set_node(node);
    req.set_include_closed(include_closed);
    v1::ListTasksResponse out;
    grpc::Status st = Call(&v1::Records::Stub::ListTasks, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  // Reads a whole WatchChanges stream that ends by itself (follow=false).
  std::vector<v1::ChangeEvent> ReadAllChanges(uint64_t after_seq) {
    v1::WatchChangesRequest req;
    req.set_after_seq(after_seq);
    req.set_follow(false);
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    std::unique_ptr<grpc::ClientReader<v1::ChangeEvent>> reader = stub_->WatchChanges(&ctx, req);
    std::vector<v1::ChangeEvent> out;
    v1::ChangeEvent ev;
    while (reader->Read(&ev)) out.push_back(ev);
    grpc::Status st = reader->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  // A unary call by method name with raw protobuf bytes (for services that
  // have no generated stub here, like grpc.health.v1.Health).
  grpc::Status RawUnaryCall(const std::string& method, const std::string& request,
                            std::string* response) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    grpc::CompletionQueue cq;
    grpc::Slice slice(request);
    grpc::ByteBuffer req(&slice, 1);
    grpc::ByteBuffer resp;
    grpc::Status status;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        generic.PrepareUnaryCall(&ctx, method, req, &cq);
    call->StartCall();
    call->Finish(&resp, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, reinterpret_cast<void*>(1));
    EXPECT_TRUE(ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    response->clear();
    if (status.ok()) {
      std::vector<grpc::Slice> slices;
      EXPECT_TRUE(resp.Dump(&slices).ok());
      for (const grpc::Slice& s : slices) {
        response->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return status;
  }

  testing::TempDir dir_;
  FakeClock clock_{kNowMs};
  SeededRandom random_{537103};
  v1::NodeConfig cfg_;
  std::unique_ptr<Node> node_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Records::Stub> stub_;
};


}  // namespace ilp::records_api_testing

#endif  // ILP_TESTS_RECORDS_RECORDS_API_FIXTURE_H_
