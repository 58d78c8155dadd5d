#include "tests/security/attack_fixture.h"

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "tests/common/run_command.h"
#include "tests/common/test_pki.h"
#include "tests/replication/process_chain.h"
#include "tests/security/attack_kit.h"

namespace ilp::testing {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string PemFile(const std::string& dir, const std::string& id, const char* ext) {
  return absl::StrCat(dir, "/", id, ext);
}

std::string CopyOfTestCa(const TempDir& dir) {
  const std::string copy = dir.Sub("ca-copy");
  std::filesystem::copy(TestPki::Default().dir(), copy, std::filesystem::copy_options::recursive);
  std::filesystem::create_directories(copy + "/crl");
  return copy;
}

void AttackTest::SetUp() { TestPki::Default(); }

void AttackTest::StartParent(const std::string& tls_block,
                             std::vector<std::pair<std::string, std::string>> children) {
  std::filesystem::create_directories(dir_.Sub("pkm"));
  parent_ = std::make_unique<NodeProcess>(
      dir_.Sub("pkm"), NodeConfigText("pkm-oebobo", "PUSKESMAS", "537103",
                                      dir_.Sub("pkm/data"), "127.0.0.1:0", "", "", children) +
                           tls_block);
  ASSERT_TRUE(parent_->Start()) << ReadFile(dir_.Sub("pkm/node.log"));
  addr_ = parent_->address();
}

std::unique_ptr<v1::Records::Stub> AttackTest::Api() { return RecordsStub(addr_); }

grpc::Status AttackTest::GetPatient(const std::string& id, v1::Patient* out) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetPatientRequest req;
  req.set_id(id);
  return Api()->GetPatient(&ctx, req, out);
}

v1::ListQuarantineResponse AttackTest::Quarantine(int* exit_code) {
  CommandResult r = Ilpctl({"--node", addr_, "-o", "json", "quarantine"});
  if (exit_code) *exit_code = r.exit_code;
  v1::ListQuarantineResponse q;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &q, o).ok()) << r.out << r.err;
  return q;
}

void AttackTest::ExpectVerifies() {
  CommandResult r = Ilpctl({"--node", addr_, "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

void AttackTest::ExpectRealChildSyncs(const std::string& id, const std::string& area, int n) {
  const std::string home = dir_.Sub(id);
  std::filesystem::create_directories(home);
  auto config = [&](const std::string& parent_addr) {
    return NodeConfigText(id, "PUSTU", area, home + "/data", "127.0.0.1:0",
                                   "pkm-oebobo", parent_addr, {});
  };
  std::string last;
  {
    NodeProcess offline(home, config("127.0.0.1:1"));
    ASSERT_TRUE(offline.Start());
    auto api = RecordsStub(offline.address());
    for (int i = 0; i < n; ++i) {
      v1::CreatePatientRequest req;
      req.mutable_patient()->set_name(absl::StrCat("Honest ", id, " ", i));
      req.mutable_patient()->mutable_address()->set_village_code(area);
      v1::Patient p;
      grpc::ClientContext ctx;
      ASSERT_TRUE(api->CreatePatient(&ctx, req, &p).ok());
      last = p.id();
    }
    ASSERT_EQ(offline.Stop(), 0);
  }
  NodeProcess child(home, config(addr_));
  ASSERT_TRUE(child.Start());
  v1::Patient p;
  EXPECT_TRUE(WaitUntil([&] { return GetPatient(last, &p).ok(); }, 30))
      << "the real child " << id << " did not sync; its log:\n"
      << ReadFile(home + "/node.log");
  const v1::PeerState peer = PeerOf(addr_, id);
  EXPECT_EQ(peer.alarm(), "");
  EXPECT_EQ(child.Stop(), 0);
}

}  // namespace ilp::testing
