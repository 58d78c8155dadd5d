// Bundles with real processes and ilpctl (domain scenario 6): the Pustu is
// down, so the posyandu's visits and referral travel on a "stick" straight
// to the Puskesmas; the back-referral's task comes back the same way; the
// receipts close both directions, and when the Pustu comes back the next
// online sessions move nothing twice. Cut and altered copies are refused
// with nothing applied beyond their whole, authentic batches.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "tests/common/run_command.h"
#include "tests/common/test_pki.h"
#include "tests/replication/process_chain.h"

namespace ilp {
namespace {

using testing::CommandResult;
using testing::CreatePatientAt;
using testing::HasPatient;
using testing::Ilpctl;
using testing::NodeSet;
using testing::TestPki;
using testing::WaitUntil;

constexpr char kMawar[] = "5371031001";

std::string Cert(const std::string& id) { return TestPki::Default().dir() + "/" + id + ".crt"; }

// A node's status (reading it writes no audit event, where a read through
// WatchChanges would).
v1::NodeStatus Status(NodeSet& n, const std::string& id) {
  v1::NodeStatus st;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = v1::Admin::NewStub(TestPki::Default().Channel(n.addr(id)))
                       ->GetStatus(&ctx, v1::GetStatusRequest(), &st);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return st;
}

// The node's stored state of its parent (sessions and totals).
v1::PeerState ParentState(NodeSet& n, const std::string& id) {
  const v1::NodeStatus st = Status(n, id);  // kept: the loop reads into it
  for (const auto& p : st.peers()) {
    if (p.state().role() == "parent") return p.state();
  }
  ADD_FAILURE() << id << " reports no parent";
  return v1::PeerState();
}

// The head of a node's change log: records and audit events.
uint64_t Head(NodeSet& n, const std::string& id) { return Status(n, id).head(); }

// The changes a bundle holds, as `ilpctl bundle inspect` reports them.
uint64_t BundleChanges(const std::string& inspect_out) {
  const size_t at = inspect_out.find(" batches, ");
  uint64_t n = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(inspect_out).substr(at + 10, inspect_out.find(' ', at + 10) - at - 10), &n)) {
    ADD_FAILURE() << "no change count in: " << inspect_out;
  }
  return n;
}

uint64_t RecordEntries(NodeSet& n, const std::string& id) { return testing::RecordEntries(n.api(id)); }

class BundleProcessTest : public ::testing::Test {
 protected:
  BundleProcessTest()
      : n_({{"dinkes-kupang", "DISTRICT", "5371", "", {{"pkm-oebobo", "537103"}}, {}},
            {"pkm-oebobo", "PUSKESMAS", "537103", "dinkes-kupang", {{"pustu-oetete", kMawar}}, {}},
            {"pustu-oetete", "PUSTU", kMawar, "pkm-oebobo", {{"pos-mawar", kMawar}}, {}},
            {"pos-mawar", "POSYANDU", kMawar, "pustu-oetete", {}, {}}}) {}

  // ilpctl against node `id`.
  CommandResult Ctl(const std::string& id, std::vector<std::string> args) {
    args.insert(args.begin(), {"--node", n_.addr(id)});
    return Ilpctl(args);
  }
  std::string File(const std::string& name) { return n_.Dir("pos-mawar") + "/../" + name; }

  NodeSet n_;
};

TEST_F(BundleProcessTest, APosyanduSyncsThreeWeeksLateByStickSkippingThePustu) {
  ASSERT_TRUE(n_.StartAll());
  // Online once: the tree learns its subtrees.
  const std::string first = CreatePatientAt(n_.api("pos-mawar"), "Anak Pertama", kMawar);
  ASSERT_TRUE(WaitUntil([&] { return HasPatient(n_.api("dinkes-kupang"), first); }, 60));
  ASSERT_TRUE(WaitUntil([&] { return HasPatient(n_.api("pustu-oetete"), first); }, 60));

  // The Pustu goes dark; the posyandu keeps working.
  const uint64_t pustu0 = RecordEntries(n_, "pustu-oetete");
  ASSERT_EQ(n_.Stop("pustu-oetete"), 0);
  const v1::PeerState before_offline = ParentState(n_, "pos-mawar");
  const uint64_t pos_records0 = RecordEntries(n_, "pos-mawar");
  std::vector<std::string> visits;
  for (int i = 0; i < 6; ++i) {
    visits.push_back(CreatePatientAt(n_.api("pos-mawar"), "Anak " + std::to_string(i), kMawar));
  }
  v1::CreateReferralRequest rr;
  rr.mutable_referral()->set_patient_id(visits[0]);
  rr.mutable_referral()->set_to_node("pkm-oebobo");
  rr.mutable_referral()->set_reason("growth faltering");
  v1::Referral ref;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(n_.api("pos-mawar")->CreateReferral(&ctx, rr, &ref).ok());
  }
  const uint64_t written_records = RecordEntries(n_, "pos-mawar") - pos_records0;
  ASSERT_EQ(written_records, 7u) << "six patients and a referral";

  const std::string up = File("up.ilpb");
  CommandResult e = Ctl("pos-mawar", {"bundle", "export", "--to", "pkm-oebobo", "--recipient-cert",
                                      Cert("pkm-oebobo"), "--out", up});
  ASSERT_EQ(e.exit_code, 0) << e.out << e.err;
  EXPECT_NE(e.out.find("for pkm-oebobo written to"), std::string::npos) << e.out;
  CommandResult again = Ctl("pos-mawar", {"bundle", "export", "--to", "pkm-oebobo", "--recipient-cert",
                                          Cert("pkm-oebobo"), "--out", up});
  EXPECT_EQ(again.exit_code, 1) << "an export never replaces a file";

  // At the Puskesmas desk, before importing: what is on the stick (offline;
  // ilpctl's --ca from ILPCTL_CA checks the signature).
  CommandResult look = Ilpctl({"bundle", "inspect", up});
  ASSERT_EQ(look.exit_code, 0) << look.out << look.err;
  EXPECT_NE(look.out.find("sender     pos-mawar"), std::string::npos) << look.out;
  EXPECT_NE(look.out.find("recipient  pkm-oebobo"), std::string::npos) << look.out;
  // The records and the audit events of the posyandu's calls since the Pustu
  // went dark (the trail goes up too).
  const uint64_t written = BundleChanges(look.out);
  EXPECT_GT(written, written_records) << look.out;
  EXPECT_NE(look.out.find("file       whole"), std::string::npos) << look.out;
  EXPECT_NE(look.out.find("signature  valid (spiffe://"), std::string::npos) << look.out;

  // One altered byte: refused, nothing applied.
  const std::string bytes = testing::ReadFile(up);
  std::string altered = bytes;
  altered[altered.size() - 40] ^= 0x01;
  testing::WriteFile(File("altered.ilpb"), altered);
  const uint64_t pkm0 = Head(n_, "pkm-oebobo");
  CommandResult bad = Ctl("pkm-oebobo", {"bundle", "import", File("altered.ilpb")});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_EQ(Head(n_, "pkm-oebobo"), pkm0);
  // For another recipient: the Pustu's key is needed to open it.
  CommandResult wrong = Ctl("dinkes-kupang", {"bundle", "import", up});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("pkm-oebobo"), std::string::npos) << wrong.err;

  // A copy cut short: exit 5, says so, applies only whole batches.
  testing::WriteFile(File("cut.ilpb"), bytes.substr(0, bytes.size() - 10));
  CommandResult cut_look = Ilpctl({"bundle", "inspect", File("cut.ilpb")});
  EXPECT_EQ(cut_look.exit_code, 5) << cut_look.out << cut_look.err;
  EXPECT_NE(cut_look.out.find("CUT SHORT"), std::string::npos) << cut_look.out;
  CommandResult cut = Ctl("pkm-oebobo", {"bundle", "import", File("cut.ilpb")});
  EXPECT_EQ(cut.exit_code, 5) << cut.out << cut.err;
  EXPECT_NE(cut.err.find("CUT SHORT"), std::string::npos) << cut.err;
  EXPECT_LE(Head(n_, "pkm-oebobo") - pkm0, written);

  // The whole copy completes it: every change once, and once only.
  CommandResult in = Ctl("pkm-oebobo", {"bundle", "import", up});
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  EXPECT_NE(in.out.find("receipt written to " + up + ".receipt"), std::string::npos) << in.out;
  EXPECT_EQ(Head(n_, "pkm-oebobo") - pkm0, written);
  CommandResult twice = Ctl("pkm-oebobo", {"bundle", "import", up, "--receipt-out", File("twice.receipt")});
  ASSERT_EQ(twice.exit_code, 0) << twice.out << twice.err;
  EXPECT_NE(twice.out.find("applied 0 batches (0 changes)"), std::string::npos) << twice.out;
  EXPECT_EQ(Head(n_, "pkm-oebobo") - pkm0, written);
  for (const auto& id : visits) {
    EXPECT_TRUE(WaitUntil([&] { return HasPatient(n_.api("dinkes-kupang"), id); }, 60)) << id;
  }

  // Until the receipt is home, the posyandu's status shows the bundle out.
  CommandResult waiting = Ctl("pos-mawar", {"status"});
  EXPECT_NE(waiting.out.find("to pkm-oebobo, written"), std::string::npos) << waiting.out;
  EXPECT_NE(waiting.out.find("awaiting its receipt"), std::string::npos) << waiting.out;

  // The receipt goes home on the stick.
  CommandResult rc = Ctl("pos-mawar", {"bundle", "receipt", "import", up + ".receipt"});
  ASSERT_EQ(rc.exit_code, 0) << rc.out << rc.err;
  EXPECT_NE(rc.out.find("pkm-oebobo holds cursors"), std::string::npos) << rc.out;
  CommandResult settled = Ctl("pos-mawar", {"status"});
  EXPECT_EQ(settled.out.find("awaiting its receipt"), std::string::npos) << settled.out;

  // The Puskesmas answers; the back-referral's task rides the return bundle.
  v1::RespondToReferralRequest resp;
  resp.mutable_response()->set_referral_id(ref.id());
  resp.mutable_response()->set_diagnosis("E44.0");
  resp.set_task_description("re-weigh in 2 weeks");
  v1::RespondToReferralResponse answered;
  const uint64_t pkm_records0 = RecordEntries(n_, "pkm-oebobo");
  {
    grpc::ClientContext ctx;
    grpc::Status s = n_.api("pkm-oebobo")->RespondToReferral(&ctx, resp, &answered);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const uint64_t answer_records = RecordEntries(n_, "pkm-oebobo") - pkm_records0;
  const std::string back = File("back.ilpb");
  CommandResult be = Ctl("pkm-oebobo", {"bundle", "export", "--to", "pos-mawar", "--recipient-cert",
                                        Cert("pos-mawar"), "--out", back});
  ASSERT_EQ(be.exit_code, 0) << be.out << be.err;
  CommandResult bi = Ctl("pos-mawar", {"bundle", "import", back});
  ASSERT_EQ(bi.exit_code, 0) << bi.out << bi.err;
  v1::ListTasksResponse tasks;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(n_.api("pos-mawar")->ListTasks(&ctx, v1::ListTasksRequest(), &tasks).ok());
  }
  ASSERT_EQ(tasks.tasks_size(), 1);
  EXPECT_EQ(tasks.tasks(0).id(), answered.task().id());
  ASSERT_EQ(Ctl("pkm-oebobo", {"bundle", "receipt", "import", back + ".receipt"}).exit_code, 0);

  // The Pustu comes back: it gets its village from above; the next online
  // sessions move nothing twice.
  std::map<std::string, uint64_t> heads;
  for (const char* id : {"pkm-oebobo", "pos-mawar"}) heads[id] = RecordEntries(n_, id);
  ASSERT_TRUE(n_.Start("pustu-oetete"));
  ASSERT_TRUE(WaitUntil([&] {
    return RecordEntries(n_, "pustu-oetete") >= pustu0 + written_records + answer_records;
  }, 60));
  const uint64_t sessions = ParentState(n_, "pos-mawar").sessions();
  ASSERT_TRUE(WaitUntil([&] { return ParentState(n_, "pos-mawar").sessions() >= sessions + 2; }, 60));
  const v1::PeerState after = ParentState(n_, "pos-mawar");
  // Sent since: at most the audit events of the reads at the posyandu after
  // its bundle was written, never the bundle's records again.
  EXPECT_LT(after.changes_sent() - before_offline.changes_sent(), written_records)
      << "the posyandu resent what the receipt covered";
  // The Pustu may offer down what the return bundle already brought (it
  // cannot know); the merge makes that a no-op: no change-log entry.
  EXPECT_EQ(RecordEntries(n_, "pos-mawar"), heads["pos-mawar"]);
  EXPECT_EQ(RecordEntries(n_, "pkm-oebobo"), heads["pkm-oebobo"]);
  // The Pustu logs each of the posyandu's records and the answer once (the
  // audit events went up by stick and never come down).
  EXPECT_EQ(RecordEntries(n_, "pustu-oetete") - pustu0, written_records + answer_records);
  for (const auto& id : visits) EXPECT_TRUE(HasPatient(n_.api("pustu-oetete"), id)) << id;
}

}  // namespace
}  // namespace ilp
