// Attacks on a real parent node (pkm-oebobo, children pustu-a and pustu-b)
// over its real TLS port, each by a client that holds what such an attacker
// would hold: no certificate, another CA's, an expired or revoked one, a
// child's real certificate used to lie in the sync protocol, or a flood of
// streams. Every attack must be refused with the right code and a reason
// that names it, and leave the parent as it was: the same change log (so the
// same records), `ilpctl verify` clean, and the real child still syncing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/pki/ca.h"
#include "storage/merge/view.h"
#include "tests/common/node_process.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"
#include "tests/replication/process_chain.h"
#include "tests/security/attack_kit.h"

namespace ilp {
namespace {

using testing::BatchOf;
using testing::ChangeLogBytes;
using testing::DeltaMaker;
using testing::FakeChild;
using testing::HelloAs;
using testing::NodeCerts;
using testing::PeerOf;
using testing::SessionResult;
using testing::TestPki;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kAreaA[] = "5371031001";
constexpr char kAreaB[] = "5371032002";
constexpr int64_t kYear2100Ms = 4102444800000;  // 2100-01-01T00:00:00Z

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string PemFile(const std::string& dir, const std::string& id, const char* ext) {
  return absl::StrCat(dir, "/", id, ext);
}

// A copy of the default test CA (same key, so the node trusts what it issues).
std::string CopyOfTestCa(const testing::TempDir& dir) {
  const std::string copy = dir.Sub("ca-copy");
  std::filesystem::copy(TestPki::Default().dir(), copy, std::filesystem::copy_options::recursive);
  std::filesystem::create_directories(copy + "/crl");
  return copy;
}

class AttackTest : public ::testing::Test {
 protected:
  void SetUp() override { TestPki::Default(); }

  // Starts the attacked parent; `tls_block` replaces the default TLS setup.
  void StartParent(const std::string& tls_block = "",
                   std::vector<std::pair<std::string, std::string>> children = {
                       {"pustu-a", kAreaA}, {"pustu-b", kAreaB}}) {
    std::filesystem::create_directories(dir_.Sub("pkm"));
    parent_ = std::make_unique<testing::NodeProcess>(
        dir_.Sub("pkm"), testing::NodeConfigText("pkm-oebobo", "PUSKESMAS", "537103",
                                                 dir_.Sub("pkm/data"), "127.0.0.1:0", "", "",
                                                 children) +
                             tls_block);
    ASSERT_TRUE(parent_->Start()) << testing::ReadFile(dir_.Sub("pkm/node.log"));
    addr_ = parent_->address();
  }

  std::unique_ptr<v1::Records::Stub> Api() { return testing::RecordsStub(addr_); }

  grpc::Status GetPatient(const std::string& id, v1::Patient* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetPatientRequest req;
    req.set_id(id);
    return Api()->GetPatient(&ctx, req, out);
  }

  v1::ListQuarantineResponse Quarantine(int* exit_code = nullptr) {
    testing::CommandResult r = testing::Ilpctl({"--node", addr_, "-o", "json", "quarantine"});
    if (exit_code) *exit_code = r.exit_code;
    v1::ListQuarantineResponse q;
    google::protobuf::util::JsonParseOptions o;
    o.ignore_unknown_fields = true;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &q, o).ok()) << r.out << r.err;
    return q;
  }

  void ExpectVerifies() {
    testing::CommandResult r = testing::Ilpctl({"--node", addr_, "verify"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // Runs the real node `id` as a child of the attacked parent: it records
  // `n` patients offline, then dials the parent; returns once the last of
  // them is stored there, and checks the parent raised no alarm about it.
  void ExpectRealChildSyncs(const std::string& id, const std::string& area, int n = 3) {
    const std::string home = dir_.Sub(id);
    std::filesystem::create_directories(home);
    auto config = [&](const std::string& parent_addr) {
      return testing::NodeConfigText(id, "PUSTU", area, home + "/data", "127.0.0.1:0",
                                     "pkm-oebobo", parent_addr, {});
    };
    std::string last;
    {
      testing::NodeProcess offline(home, config("127.0.0.1:1"));
      ASSERT_TRUE(offline.Start());
      auto api = testing::RecordsStub(offline.address());
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
    testing::NodeProcess child(home, config(addr_));
    ASSERT_TRUE(child.Start());
    v1::Patient p;
    EXPECT_TRUE(testing::WaitUntil([&] { return GetPatient(last, &p).ok(); }, 30))
        << "the real child " << id << " did not sync; its log:\n"
        << testing::ReadFile(home + "/node.log");
    const v1::PeerState peer = PeerOf(addr_, id);
    EXPECT_EQ(peer.alarm(), "");
    EXPECT_EQ(child.Stop(), 0);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::NodeProcess> parent_;
  std::string addr_;
};

// ---------------------------------------------------------------------------
// Transport: who may talk to the node at all.

TEST_F(AttackTest, ClientWithoutCertificateIsRefusedButHealthCheckAnswers) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  auto anon = testing::OwnChannel(addr_, grpc::SslCredentials(testing::SslOptions("", "")));

  grpc::ClientContext c1;
  c1.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::FindPatientsRequest find;
  find.set_name_prefix("Yo");
  v1::FindPatientsResponse found;
  grpc::Status s = v1::Records::NewStub(anon)->FindPatients(&c1, find, &found);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("client certificate"));

  grpc::ClientContext c2;
  c2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeStatus st;
  s = v1::Admin::NewStub(anon)->GetStatus(&c2, v1::GetStatusRequest(), &st);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("client certificate"));

  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, testing::SslOptions("", ""))
                        .Run(HelloAs("pustu-a", 1), {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("client certificate"));

  for (const std::string service : {"", "ilp.v1.Records"}) {
    bool serving = false;
    s = testing::HealthCheck(anon, service, 5000, &serving);
    EXPECT_TRUE(s.ok()) << "health of \"" << service << "\": " << s.error_message();
    EXPECT_TRUE(serving) << service;
  }

  auto plain = testing::OwnChannel(addr_, grpc::InsecureChannelCredentials());
  grpc::ClientContext c3;
  c3.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  s = v1::Admin::NewStub(plain)->GetStatus(&c3, v1::GetStatusRequest(), &st);
  EXPECT_FALSE(s.ok()) << "a plaintext client reached the node";
  bool serving = false;
  EXPECT_FALSE(testing::HealthCheck(plain, "", 3000, &serving).ok());

  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, CertificateFromAnotherCaIsRefusedNamingTheDistrictCa) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  TestPki impostor("kupang");  // same district name, another key
  TestPki belu("belu");
  for (TestPki* other : {&impostor, &belu}) {
    other->NodeTls("pustu-a");
    const auto ssl = testing::SslOptions(PemFile(other->dir(), "pustu-a", ".crt"),
                                         PemFile(other->dir(), "pustu-a", ".key"));
    auto ch = testing::OwnChannel(addr_, grpc::SslCredentials(ssl));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::NodeStatus st;
    grpc::Status s = v1::Admin::NewStub(ch)->GetStatus(&ctx, v1::GetStatusRequest(), &st);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("not signed by the district CA kupang"));

    DeltaMaker maker("pustu-a");
    SessionResult r = FakeChild(addr_, ssl).Run(HelloAs("pustu-a", 1),
                                                {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
    EXPECT_FALSE(r.welcomed);
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
    EXPECT_THAT(r.status.error_message(), HasSubstr("district CA kupang"));
  }
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, ExpiredCertificateIsRefused) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  // Issued three days ago for one day, by the district CA itself.
  const std::string ca = CopyOfTestCa(dir_);
  testing::CommandResult issued = testing::RunCommand(
      {"/usr/bin/faketime", "-f", "-3d", std::string(ILP_BIN_DIR) + "/ilpctl", "pki", "issue-node",
       "--dir", ca, "--node-id", "pustu-a", "--host", "127.0.0.1", "--days", "1"});
  ASSERT_EQ(issued.exit_code, 0) << issued.out << issued.err;
  const auto ssl = testing::SslOptions(PemFile(ca, "pustu-a", ".crt"), PemFile(ca, "pustu-a", ".key"));

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeStatus st;
  grpc::Status s = v1::Admin::NewStub(testing::OwnChannel(addr_, grpc::SslCredentials(ssl)))
                       ->GetStatus(&ctx, v1::GetStatusRequest(), &st);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("expired"));

  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, ssl).Run(HelloAs("pustu-a", 1),
                                              {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("expired"));

  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, RevokedCertificateIsRefusedWithinSecondsOfRevocation) {
  // The parent reads the CRL of a copy of the CA, so revoking there leaves
  // the other tests' certificates alone.
  const std::string ca = CopyOfTestCa(dir_);
  TestPki& pki = TestPki::Default();
  pki.NodeTls("pkm-oebobo");
  StartParent(absl::StrCat("tls { ca_file: \"", pki.ca_file(), "\" cert_file: \"",
                           PemFile(pki.dir(), "pkm-oebobo", ".crt"), "\" key_file: \"",
                           PemFile(pki.dir(), "pkm-oebobo", ".key"), "\" crl_dir: \"", ca,
                           "/crl\" }\n"));
  const std::string before = ChangeLogBytes(addr_);
  absl::StatusOr<pki::IssuedCert> stolen = pki::IssueNode(ca, "pustu-a", {"127.0.0.1"}, 30);
  ASSERT_TRUE(stolen.ok()) << stolen.status();
  const auto ssl = testing::SslOptions(stolen->cert_path, stolen->key_path);
  auto admin = v1::Admin::NewStub(testing::OwnChannel(addr_, grpc::SslCredentials(ssl)));
  auto get_status = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::NodeStatus st;
    return admin->GetStatus(&ctx, v1::GetStatusRequest(), &st);
  };
  ASSERT_TRUE(get_status().ok()) << "the certificate works before it is revoked";

  testing::CommandResult rev =
      testing::Ilpctl({"pki", "revoke", "--dir", ca, "--serial", stolen->serial_hex});
  ASSERT_EQ(rev.exit_code, 0) << rev.out << rev.err;
  grpc::Status s;
  EXPECT_TRUE(testing::WaitUntil([&] { return !(s = get_status()).ok(); }, 5))
      << "still accepted 5 s after revocation";
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("revoked"));
  EXPECT_THAT(s.error_message(), HasSubstr(stolen->serial_hex));

  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, ssl).Run(HelloAs("pustu-a", 1),
                                              {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("revoked"));

  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);  // with its own, unrevoked certificate
}

// ---------------------------------------------------------------------------
// Sync protocol: a child's real certificate, used to lie.

TEST_F(AttackTest, ChildCannotOpenASessionAsItsSibling) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-b"))
                        .Run(HelloAs("pustu-a", 1), {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("says pustu-a"));
  EXPECT_THAT(r.status.error_message(), HasSubstr("certificate is node pustu-b"));

  // The victim's record shows no error: the impostor cannot blacken it.
  testing::CommandResult status = testing::Ilpctl({"--node", addr_, "-o", "json", "status"});
  v1::NodeStatus st;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(status.out, &st, o).ok()) << status.out;
  for (const v1::PeerStatus& p : st.peers()) {
    if (p.state().node_id() == "pustu-a") {
      EXPECT_EQ(p.state().last_error(), "");
    }
  }
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, SubtreeAlreadyClaimedBySiblingIsNotBelieved) {
  StartParent();
  SessionResult b = FakeChild(addr_, NodeCerts("pustu-b"))
                        .Run([] {
                          v1::Hello h = HelloAs("pustu-b", 0);
                          h.add_subtree("pos-b1");
                          return h;
                        }(),
                             {BatchOf(0, {})});
  ASSERT_TRUE(b.status.ok()) << b.status.error_message();
  ASSERT_THAT(PeerOf(addr_, "pustu-b").subtree(), ::testing::Contains("pos-b1"));
  const std::string before = ChangeLogBytes(addr_);

  // pustu-a claims pos-b1 too, and writes as pos-b1.
  DeltaMaker as_b1("pos-b1");
  const v1::Record forged = as_b1.CreatePatient("Dewi", kAreaA);
  v1::Hello h = HelloAs("pustu-a", 1);
  h.add_subtree("pos-b1");
  h.add_subtree("pos-a1");
  SessionResult a = FakeChild(addr_, NodeCerts("pustu-a")).Run(h, {BatchOf(1, {forged})});
  EXPECT_TRUE(a.status.ok()) << a.status.error_message();

  const v1::PeerState pa = PeerOf(addr_, "pustu-a");
  EXPECT_THAT(pa.subtree(), ::testing::Not(::testing::Contains("pos-b1")));
  EXPECT_THAT(pa.subtree(), ::testing::Contains("pos-a1"));  // an honest claim still counts
  EXPECT_THAT(PeerOf(addr_, "pustu-b").subtree(), ::testing::Contains("pos-b1"));
  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_EQ(q.deltas(0).record_id(), forged.id());
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("authorship"));
  v1::Patient p;
  EXPECT_EQ(GetPatient(forged.id(), &p).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, DeltaSignedAsForeignNodeIsQuarantinedAndTheRestOfTheBatchApplies) {
  StartParent();
  DeltaMaker as_district("dinkes-kupang"), maker("pustu-a");
  const v1::Record forged = as_district.CreatePatient("Forged", kAreaA);
  const v1::Record honest = maker.CreatePatient("Honest", kAreaA);
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a"))
                        .Run(HelloAs("pustu-a", 2), {BatchOf(2, {forged, honest})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.acked, 1);

  int rc = 0;
  v1::ListQuarantineResponse q = Quarantine(&rc);
  EXPECT_EQ(rc, 4);
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_EQ(q.deltas(0).from_node(), "pustu-a");
  EXPECT_EQ(q.deltas(0).record_id(), forged.id());
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("authorship"));
  EXPECT_THAT(q.deltas(0).reason(), HasSubstr("dinkes-kupang"));
  v1::Patient p;
  EXPECT_EQ(GetPatient(forged.id(), &p).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(GetPatient(honest.id(), &p).ok());
  EXPECT_EQ(p.name(), "Honest");
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, ChildCannotMoveASiblingsPatientIntoItsArea) {
  StartParent();
  DeltaMaker maker_b("pustu-b"), maker_a("pustu-a");
  const v1::Record created = maker_b.CreatePatient("Maria", kAreaB);
  ASSERT_TRUE(FakeChild(addr_, NodeCerts("pustu-b"))
                  .Run(HelloAs("pustu-b", 1), {BatchOf(1, {created})})
                  .status.ok());
  const std::string before = ChangeLogBytes(addr_);
  maker_a.Learn(created);
  const v1::Record move = maker_a.MoveTo(created.id(), kAreaA);
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a")).Run(HelloAs("pustu-a", 1), {BatchOf(1, {move})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();

  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_EQ(q.deltas(0).record_id(), created.id());
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("scope"));
  v1::Patient p;
  ASSERT_TRUE(GetPatient(created.id(), &p).ok());
  EXPECT_EQ(p.address().village_code(), kAreaB);
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, StampsFromYear2100AreQuarantinedAndDoNotDragTheParentsClock) {
  StartParent();
  DeltaMaker maker("pustu-a");
  const v1::Record created = maker.CreatePatient("Yohana", kAreaA);
  ASSERT_TRUE(FakeChild(addr_, NodeCerts("pustu-a"))
                  .Run(HelloAs("pustu-a", 1), {BatchOf(1, {created})})
                  .status.ok());
  const std::string before = ChangeLogBytes(addr_);

  v1::Record edit = maker.Rename(created.id(), "Yohana 2100");
  for (v1::FieldVersion& v : *edit.mutable_patient()->mutable_versions()) {
    v.mutable_stamp()->set_wall_ms(kYear2100Ms);
    v.mutable_stamp()->set_anchor_ms(kYear2100Ms);
  }
  v1::Hello hello = HelloAs("pustu-a", 2);
  hello.set_up_acked(1);
  hello.mutable_now()->set_wall_ms(kYear2100Ms);
  hello.mutable_now()->set_anchor_ms(kYear2100Ms);
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a")).Run(hello, {BatchOf(2, {edit})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_LT(r.welcome.now().wall_ms(), NowMs() + 3600'000) << "the Hello's clock dragged the parent's";

  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("time"));
  v1::Patient p;
  ASSERT_TRUE(GetPatient(created.id(), &p).ok());
  EXPECT_EQ(p.name(), "Yohana");
  EXPECT_EQ(ChangeLogBytes(addr_), before);

  // The parent's own next write is stamped now, not in 2100.
  auto api = Api();
  const uint64_t head = testing::ChangeLogHead(api.get());
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name("Stamped Now");
  req.mutable_patient()->mutable_address()->set_village_code(kAreaA);
  grpc::ClientContext ctx;
  ASSERT_TRUE(api->CreatePatient(&ctx, req, &p).ok());
  grpc::ClientContext wctx;
  wctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchChangesRequest w;
  w.set_after_seq(head);
  auto reader = api->WatchChanges(&wctx, w);
  v1::ChangeEvent ev;
  int events = 0;
  while (reader->Read(&ev)) {
    ++events;
    EXPECT_LT(ev.delta().created().wall_ms(), NowMs() + 3600'000);
    for (const auto& v : ev.delta().patient().versions()) EXPECT_LT(v.stamp().wall_ms(), NowMs() + 3600'000);
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(events, 1);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, OversizedAndMalformedRecordsAreQuarantinedNotStored) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  DeltaMaker maker("pustu-a");
  v1::Record big_name = maker.CreatePatient("Big", kAreaA);
  big_name.mutable_patient()->mutable_value()->set_name(std::string(200 * 1024, 'a'));
  v1::Record no_kind = maker.CreatePatient("Nobody", kAreaA);
  no_kind.clear_patient();
  v1::Record bad_id = maker.CreatePatient("Bad Id", kAreaA);
  bad_id.set_id("not-a-uuid/../x");
  v1::Record many_ids = maker.CreatePatient("Many", kAreaA);
  for (int i = 0; i < 10'000; ++i) {
    v1::Identifier id;
    id.set_system(v1::NIK);
    id.set_value(absl::StrFormat("53710310%08d", i));
    v1::SetElement* e = many_ids.mutable_patient()->add_elements();
    e->set_field("identifiers");
    e->set_key(IdentifierKey(id));
    e->set_value(id.SerializeAsString());
    *e->mutable_value_stamp() = many_ids.created();
    *e->add_adds() = many_ids.created();
  }
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a"))
                        .Run(HelloAs("pustu-a", 4), {BatchOf(4, {big_name, no_kind, bad_id, many_ids})});
  // The batch fits the decompression cap, so each record is judged alone.
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  v1::ListQuarantineResponse q = Quarantine();
  EXPECT_EQ(q.total(), 4u);
  std::set<std::string> ids;
  for (const v1::QuarantinedDelta& d : q.deltas()) {
    EXPECT_THAT(d.reason(), StartsWith("content")) << d.record_id();
    ids.insert(d.record_id());
  }
  EXPECT_EQ(ids, (std::set<std::string>{big_name.id(), no_kind.id(), "not-a-uuid/../x", many_ids.id()}));
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA, 5);
}

TEST_F(AttackTest, BatchCursorBeyondAnnouncedHeadIsRefusedAndCursorKept) {
  StartParent();
  DeltaMaker maker("pustu-a");
  FakeChild child(addr_, NodeCerts("pustu-a"));
  const v1::Record first = maker.CreatePatient("First", kAreaA);
  ASSERT_TRUE(child.Run(HelloAs("pustu-a", 1), {BatchOf(1, {first})}).status.ok());
  ASSERT_EQ(PeerOf(addr_, "pustu-a").received_cursor(), 1u);
  const std::string before = ChangeLogBytes(addr_);

  const v1::Record second = maker.CreatePatient("Second", kAreaA);
  SessionResult r = child.Run(HelloAs("pustu-a", 5), {BatchOf(1'000'000'000'000, {second})});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("batch.cursor"));
  v1::Patient p;
  EXPECT_EQ(GetPatient(second.id(), &p).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(PeerOf(addr_, "pustu-a").received_cursor(), 1u);
  EXPECT_EQ(ChangeLogBytes(addr_), before);

  // The next honest session resumes from 1: no alarm, data moves.
  v1::Hello hello = HelloAs("pustu-a", 2);
  hello.set_up_acked(1);
  r = child.Run(hello, {BatchOf(2, {second})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.welcome.up_cursor(), 1u);
  EXPECT_EQ(r.welcome.alarm(), "");
  EXPECT_TRUE(GetPatient(second.id(), &p).ok());
  EXPECT_EQ(PeerOf(addr_, "pustu-a").received_cursor(), 2u);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

// ---------------------------------------------------------------------------
// Resource exhaustion.

TEST_F(AttackTest, ConcurrentDecompressionBombsAreRefusedWithinBoundedMemory) {
  constexpr int kSessions = 48;
  constexpr size_t kRssBound = 300u << 20;
  std::vector<std::pair<std::string, std::string>> children = {{"pustu-a", kAreaA}, {"pustu-b", kAreaB}};
  std::vector<std::string> bombers;
  for (int i = 0; i < kSessions; ++i) {
    bombers.push_back(absl::StrFormat("pustu-bomb-%02d", i));
    children.emplace_back(bombers.back(), kAreaA);
  }
  StartParent("", children);
  const std::string before = ChangeLogBytes(addr_);

  v1::Batch bomb;
  {
    const std::string zeros(255u << 20, '\0');
    std::string z(ZSTD_compressBound(zeros.size()), '\0');
    // Level 3, as a node compresses (2 MiB window): the frame decodes, and
    // only the output cap stops it. (A frame asking for a larger window is
    // refused before decoding: "requires too much memory".)
    const size_t n = ZSTD_compress(z.data(), z.size(), zeros.data(), zeros.size(), 3);
    ASSERT_FALSE(ZSTD_isError(n));
    z.resize(n);
    ASSERT_LT(z.size(), 64u << 10);
    bomb.set_payload(z);
  }
  bomb.set_cursor(1);
  bomb.set_count(1);
  bomb.set_last(true);
  std::vector<grpc::SslCredentialsOptions> certs;
  for (const std::string& id : bombers) certs.push_back(NodeCerts(id));

  std::atomic<bool> done{false};
  std::atomic<size_t> peak{0};
  std::thread sampler([&] {
    while (!done) {
      peak = std::max<size_t>(peak, testing::RssBytes(parent_->pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<SessionResult> results(kSessions);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      results[i] = FakeChild(addr_, certs[i]).Run(HelloAs(bombers[i], 1), {bomb});
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  sampler.join();

  for (int i = 0; i < kSessions; ++i) {
    EXPECT_EQ(results[i].status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bombers[i] << ": " << results[i].status.error_message();
    EXPECT_THAT(results[i].status.error_message(), HasSubstr("decompresses beyond")) << bombers[i];
  }
  RecordProperty("peak_rss_mib", static_cast<int>(peak.load() >> 20));
  EXPECT_GT(peak.load(), 0u);
  EXPECT_LT(peak.load(), kRssBound) << "peak VmRSS " << (peak.load() >> 20) << " MiB";
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, FloodOfIdleStreamsLeavesHealthCheckFastAndMemoryBounded) {
  constexpr int kChannels = 40, kFollowsPerChannel = 200, kAnonymousSessions = 1000;
  constexpr size_t kRssBound = 400u << 20;
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  TestPki& pki = TestPki::Default();
  const auto op = testing::SslOptions(pki.operator_cert(), pki.operator_key());

  struct Call {
    grpc::ClientContext ctx;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncReader<v1::ChangeEvent>> follow;
    std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::SyncMessage, v1::SyncMessage>> session;
    bool ended = false;
  };
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Call>> calls;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  // Tags: 2*i = started, 2*i+1 = finished.
  auto tag = [](size_t i, bool finish) { return reinterpret_cast<void*>(2 * i + (finish ? 1 : 0) + 2); };
  v1::WatchChangesRequest follow;
  follow.set_follow(true);
  for (int c = 0; c < kChannels; ++c) {
    channels.push_back(testing::OwnChannel(addr_, grpc::SslCredentials(op)));
    auto stub = v1::Records::NewStub(channels.back());
    for (int k = 0; k < kFollowsPerChannel; ++k) {
      auto call = std::make_unique<Call>();
      call->follow = stub->PrepareAsyncWatchChanges(&call->ctx, follow, &cq);
      call->follow->StartCall(tag(calls.size(), false));
      call->follow->Finish(&call->status, tag(calls.size(), true));
      calls.push_back(std::move(call));
    }
  }
  const size_t follows = calls.size();
  std::vector<std::unique_ptr<v1::Sync::Stub>> anon_stubs;
  for (int c = 0; c < 10; ++c) {
    anon_stubs.push_back(v1::Sync::NewStub(
        testing::OwnChannel(addr_, grpc::SslCredentials(testing::SslOptions("", "")))));
  }
  for (int k = 0; k < kAnonymousSessions; ++k) {
    auto call = std::make_unique<Call>();
    call->session = anon_stubs[k % anon_stubs.size()]->PrepareAsyncSession(&call->ctx, &cq);
    call->session->StartCall(tag(calls.size(), false));
    call->session->Finish(&call->status, tag(calls.size(), true));
    calls.push_back(std::move(call));
  }
  std::atomic<bool> stop{false};
  std::atomic<size_t> ended{0};
  std::thread drain([&] {
    void* t;
    bool ok;
    while (cq.Next(&t, &ok)) {
      const size_t v = reinterpret_cast<size_t>(t) - 2;
      if (v % 2 == 1) {
        calls[v / 2]->ended = true;
        ++ended;
      }
    }
  });

  // While the flood is still being admitted, the health check on a fresh
  // connection is answered, not starved (on a shared 2-core box it took
  // 0.7-1.3 s at this point, TLS handshake included).
  bool serving = false;
  const auto t0 = std::chrono::steady_clock::now();
  grpc::Status h = testing::HealthCheck(
      testing::OwnChannel(addr_, grpc::SslCredentials(testing::SslOptions("", ""))), "", 5000, &serving);
  RecordProperty("health_ms_during_flood",
                 static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - t0)
                                      .count()));
  EXPECT_TRUE(h.ok()) << "health during the flood: " << h.error_message();
  EXPECT_TRUE(serving);

  // All but the capped few follow streams end; the anonymous ones all do.
  const size_t cap = 4;  // max_follow_streams_per_client default
  EXPECT_TRUE(testing::WaitUntil([&] { return ended.load() >= calls.size() - cap; }, 30))
      << ended.load() << " of " << calls.size() << " calls ended";
  // With the flood's streams open (or refused), a fresh health check answers within 1 s.
  h = testing::HealthCheck(
      testing::OwnChannel(addr_, grpc::SslCredentials(testing::SslOptions("", ""))), "", 1000, &serving);
  EXPECT_TRUE(h.ok()) << "health with the flood's streams open: " << h.error_message();
  EXPECT_TRUE(serving);
  const size_t rss = testing::RssBytes(parent_->pid());
  EXPECT_GT(rss, 0u);
  RecordProperty("rss_mib", static_cast<int>(rss >> 20));
  EXPECT_LT(rss, kRssBound) << "VmRSS " << (rss >> 20) << " MiB";

  for (auto& c : calls) c->ctx.TryCancel();
  EXPECT_TRUE(testing::WaitUntil([&] { return ended.load() == calls.size(); }, 20));
  cq.Shutdown();
  drain.join();
  size_t exhausted = 0, anon_refused = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i < follows) {
      exhausted += calls[i]->status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    } else {
      anon_refused += calls[i]->status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    }
  }
  EXPECT_GE(exhausted, follows - cap);
  EXPECT_EQ(anon_refused, static_cast<size_t>(kAnonymousSessions));

  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, SilentSessionsOfOneChildCannotPinTheServersThreads) {
  // A child's stolen certificate opens 128 sync streams and never says Hello.
  constexpr int kStreams = 128;
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  struct Call {
    grpc::ClientContext ctx;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::SyncMessage, v1::SyncMessage>> rw;
  };
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<v1::Sync::Stub>> stubs;
  for (int c = 0; c < 8; ++c) {
    stubs.push_back(v1::Sync::NewStub(
        testing::OwnChannel(addr_, grpc::SslCredentials(NodeCerts("pustu-a")))));
  }
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kStreams; ++i) {
    auto c = std::make_unique<Call>();
    c->rw = stubs[i % stubs.size()]->PrepareAsyncSession(&c->ctx, &cq);
    c->rw->StartCall(nullptr);
    c->rw->Finish(&c->status, c.get());
    calls.push_back(std::move(c));
  }
  std::atomic<int> ended{0};
  std::thread drain([&] {
    void* t;
    bool ok;
    while (cq.Next(&t, &ok)) ended += t != nullptr;
  });
  // All but one are turned away at once; the one left holds one thread.
  EXPECT_TRUE(testing::WaitUntil([&] { return ended.load() >= kStreams - 1; }, 20))
      << ended.load() << " of " << kStreams << " silent sessions ended";
  auto api = Api();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::FindPatientsRequest find;
  find.set_name_prefix("Yo");
  v1::FindPatientsResponse found;
  grpc::Status s = api->FindPatients(&ctx, find, &found);
  EXPECT_TRUE(s.ok()) << "the operator is locked out: " << s.error_message();
  for (auto& c : calls) c->ctx.TryCancel();
  EXPECT_TRUE(testing::WaitUntil([&] { return ended.load() == kStreams; }, 20));
  cq.Shutdown();
  drain.join();
  int aborted = 0;
  for (auto& c : calls) {
    if (c->status.error_code() == grpc::StatusCode::ABORTED) {
      ++aborted;
      EXPECT_THAT(c->status.error_message(), HasSubstr("already has a sync session open"));
    }
  }
  EXPECT_GE(aborted, kStreams - 1);
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

}  // namespace
}  // namespace ilp
