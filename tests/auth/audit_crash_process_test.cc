// The audit trail against a real ilp-node process that is killed (issue 12;
// docs/security.md, "Audit trail", states the loss window; a clean stop's
// commit of the queue is AccessTest.ACleanShutdownCommitsQueuedReadEvents):
// - SIGKILL loses no event the node had committed, and doubles none;
// - an acknowledged write's event survives SIGKILL with the write, because it
//   is in the write's own fsynced WriteBatch.
// Reads are answered before their event is committed (group commit), so the
// SIGKILL case waits for the commit by watching ListAudit, with a deadline,
// never a fixed sleep.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "tests/common/node_process.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"

namespace ilp {
namespace {

class AuditCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<testing::NodeProcess>(
        dir_.path(), absl::StrCat("node_id: \"pkm-oebobo\" tier: PUSKESMAS working_area: \"537103\"\n"
                                  "listen_address: \"127.0.0.1:0\"\n"
                                  "data_dir: \"", dir_.Sub("data"), "\"\n"));
    ASSERT_TRUE(node_->Start());
    Connect();
  }

  void Connect() {
    auto channel = testing::TestPki::Default().Channel(node_->address());
    records_ = v1::Records::NewStub(channel);
    admin_ = v1::Admin::NewStub(channel);
  }

  void Restart() {
    ASSERT_TRUE(node_->Start());
    Connect();
  }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  std::string Create(const std::string& name) {
    v1::CreatePatientRequest req;
    req.mutable_patient()->set_name(name);
    req.mutable_patient()->mutable_address()->set_village_code("5371031001");
    v1::Patient p;
    grpc::Status s = records_->CreatePatient(Ctx().get(), req, &p);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return p.id();
  }

  void Read(const std::string& id, int times) {
    for (int i = 0; i < times; ++i) {
      v1::GetPatientRequest req;
      req.set_id(id);
      v1::Patient p;
      grpc::Status s = records_->GetPatient(Ctx().get(), req, &p);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  // rpc name -> events naming `patient`, as the node's store holds them.
  std::map<std::string, int> Trail(const std::string& patient) {
    v1::ListAuditRequest req;
    req.set_patient_id(patient);
    v1::ListAuditResponse out;
    grpc::Status s = admin_->ListAudit(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, int> n;
    for (const auto& e : out.events()) ++n[absl::StrCat(e.event().rpc(), " ", e.event().outcome())];
    return n;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::NodeProcess> node_;
  std::unique_ptr<v1::Records::Stub> records_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

TEST_F(AuditCrashTest, SigkillLosesNoCommittedEventAndAWritesEventGoesWithTheWrite) {
  const std::string budi = Create("Budi");
  Read(budi, 100);
  // Wait for the group commit (every 5 ms) to make the reads' events durable.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::map<std::string, int> committed;
  do {
    committed = Trail(budi);
  } while (committed["GetPatient OK"] < 100 && absl::Now() < deadline);
  ASSERT_EQ(committed["GetPatient OK"], 100) << "the reads' events were not committed within 30 s";

  // A write acknowledged just before the kill: it and its event, or neither;
  // it was acknowledged, so both.
  const std::string siti = Create("Siti");
  ASSERT_FALSE(siti.empty());
  node_->Kill();
  Restart();
  EXPECT_EQ(Trail(budi), (std::map<std::string, int>{{"CreatePatient OK", 1}, {"GetPatient OK", 100}}));
  EXPECT_EQ(Trail(siti), (std::map<std::string, int>{{"CreatePatient OK", 1}}));
  v1::GetPatientRequest get;
  get.set_id(siti);
  v1::Patient p;
  EXPECT_TRUE(records_->GetPatient(Ctx().get(), get, &p).ok());
}

}  // namespace
}  // namespace ilp
