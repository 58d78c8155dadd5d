// ilpctl against running nodes: an in-process district (real gRPC servers,
// fake clocks, sessions only when the test says), driven through the real
// ilpctl binary, so ages and staleness are exact.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "ilp/v1/admin.pb.h"
#include "storage/store/keys.h"
#include "tests/common/run_command.h"
#include "tests/replication/harness.h"

namespace ilp {
namespace {

using testing::CommandResult;
using testing::Hierarchy;
using testing::Ilpctl;
using testing::NodeSpec;
using testing::NewPatient;

constexpr int64_t kT0 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
constexpr int64_t kDay = 86'400'000;
const char kMawar[] = "5371031001";
const char kMelati[] = "5371031002";

std::vector<NodeSpec> District() {
  return {
      {"dinkes-kupang", v1::DISTRICT, {"5371"}, ""},
      {"pkm-oebobo", v1::PUSKESMAS, {"537103"}, "dinkes-kupang"},
      {"pustu-oetete", v1::PUSTU, {kMawar, kMelati}, "pkm-oebobo"},
      {"pos-mawar", v1::POSYANDU, {kMawar}, "pustu-oetete"},
      {"pos-melati", v1::POSYANDU, {kMelati}, "pustu-oetete"},
  };
}

template <typename M>
M ParseJson(const std::string& json) {
  M m;
  google::protobuf::util::JsonParseOptions opts;  // unknown fields are an error
  auto st = google::protobuf::util::JsonStringToMessage(json, &m, opts);
  EXPECT_TRUE(st.ok()) << st.ToString() << " in: " << json;
  return m;
}

const v1::TreeNode* Find(const v1::GetTreeResponse& t, const std::string& id) {
  for (const auto& n : t.nodes()) {
    if (n.node_id() == id) return &n;
  }
  return nullptr;
}

CommandResult Ctl(Hierarchy& h, const std::string& node, std::vector<std::string> args) {
  args.insert(args.begin(), {"--insecure", "--node", h.node(node)->address()});
  return Ilpctl(args);
}

TEST(AdminTest, TreeStaleFindsThePosyanduThatHasNotSyncedInSevenDays) {
  Hierarchy h(District(), kT0, 1);
  h.SyncAll(1);
  // Eight days on, everyone has synced but pos-mawar.
  h.Advance(8 * kDay);
  for (const char* n : {"pos-melati", "pustu-oetete", "pkm-oebobo"}) ASSERT_TRUE(h.Sync(n).ok()) << n;

  CommandResult stale = Ctl(h, "dinkes-kupang", {"-o", "json", "tree", "--stale", "7d"});
  EXPECT_EQ(stale.exit_code, 4) << stale.err;  // something is behind
  auto t = ParseJson<v1::GetTreeResponse>(stale.out);
  ASSERT_EQ(t.nodes_size(), 1) << stale.out;
  EXPECT_EQ(t.nodes(0).node_id(), "pos-mawar");
  EXPECT_EQ(t.nodes(0).tier(), v1::POSYANDU);
  EXPECT_EQ(t.nodes(0).parent_id(), "pustu-oetete");
  EXPECT_EQ(t.nodes(0).depth(), 3);
  EXPECT_EQ(t.nodes(0).last_contact_age_ms(), 8 * kDay);

  CommandResult table = Ctl(h, "dinkes-kupang", {"tree", "--stale", "7d"});
  EXPECT_EQ(table.exit_code, 4);
  EXPECT_NE(table.out.find("pos-mawar"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("8d ago"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("pos-melati"), std::string::npos) << table.out;

  // Nothing is that stale at 9 days; a fresh tree exits 0.
  EXPECT_EQ(Ctl(h, "dinkes-kupang", {"tree", "--stale", "9d"}).exit_code, 0);

  // The whole tree, depth-first, as the district knows it: it has never
  // talked to either posyandu, yet knows when each last synced.
  CommandResult all = Ctl(h, "dinkes-kupang", {"-o", "json", "tree"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto full = ParseJson<v1::GetTreeResponse>(all.out);
  ASSERT_EQ(full.nodes_size(), 5) << all.out;
  EXPECT_EQ(full.nodes(0).node_id(), "dinkes-kupang");
  EXPECT_EQ(full.nodes(1).node_id(), "pkm-oebobo");
  EXPECT_EQ(full.nodes(2).node_id(), "pustu-oetete");
  const v1::TreeNode* melati = Find(full, "pos-melati");
  ASSERT_NE(melati, nullptr);
  EXPECT_EQ(melati->depth(), 3);
  EXPECT_EQ(melati->last_contact_age_ms(), 0);
  EXPECT_TRUE(melati->reported());
  for (const char* key : {"\"node_id\"", "\"tier\"", "\"last_contact_age_ms\"", "\"lag_ms\"",
                          "\"pending_changes\"", "\"last_error\"", "\"depth\""}) {
    EXPECT_NE(all.out.find(key), std::string::npos) << key;
  }
}

TEST(AdminTest, TreeShowsLagAndPendingOfANodeWhoseDataHasNotArrived) {
  Hierarchy h(District(), kT0, 2);
  h.SyncAll(1);
  // pos-mawar records two patients, a day later reaches the pustu but the
  // link drops right after the Hello: its status arrives, its data does not.
  NewPatient(h.api("pos-mawar"), "Siti Aminah", kMawar);
  NewPatient(h.api("pos-mawar"), "Budi Santoso", kMawar);
  h.Advance(kDay);
  h.dialer("pos-mawar")->CutAfter(2);  // Hello out, Welcome in, then cut
  EXPECT_FALSE(h.Sync("pos-mawar").ok());
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  h.Advance(60'000);
  ASSERT_TRUE(h.Sync("pkm-oebobo").ok());

  CommandResult r = Ctl(h, "dinkes-kupang", {"-o", "json", "tree"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto t = ParseJson<v1::GetTreeResponse>(r.out);
  const v1::TreeNode* mawar = Find(t, "pos-mawar");
  ASSERT_NE(mawar, nullptr) << r.out;
  EXPECT_EQ(mawar->pending_changes(), 2);
  EXPECT_EQ(mawar->lag_ms(), kDay + 60'000);  // its oldest change, now, is that old
  EXPECT_EQ(mawar->last_contact_age_ms(), 60'000);
  // The cut it saw earlier is its last error, not yet cleared by a success.
  EXPECT_EQ(mawar->last_error(), "");  // the cut came after its report was made
  EXPECT_EQ(Find(t, "pos-melati")->pending_changes(), 0);
  EXPECT_EQ(Find(t, "pos-melati")->lag_ms(), 0);

  // Its next attempt carries the cut in its report.
  h.dialer("pos-mawar")->CutAfter(2);
  EXPECT_FALSE(h.Sync("pos-mawar").ok());
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  ASSERT_TRUE(h.Sync("pkm-oebobo").ok());
  t = ParseJson<v1::GetTreeResponse>(Ctl(h, "dinkes-kupang", {"-o", "json", "tree"}).out);
  EXPECT_NE(Find(t, "pos-mawar")->last_error().find("link cut by test"), std::string::npos)
      << Find(t, "pos-mawar")->DebugString();

  // Once the data is through, the lag is gone.
  h.SyncAll(1);
  t = ParseJson<v1::GetTreeResponse>(Ctl(h, "dinkes-kupang", {"-o", "json", "tree"}).out);
  EXPECT_EQ(Find(t, "pos-mawar")->pending_changes(), 0);
  EXPECT_EQ(Find(t, "pos-mawar")->lag_ms(), 0);
  EXPECT_EQ(Find(t, "pos-mawar")->last_error(), "");
  EXPECT_EQ(Find(t, "pos-mawar")->records(), 2);
}

TEST(AdminTest, StatusReportsTheNodeItsStoreAndEachPeer) {
  Hierarchy h(District(), kT0, 3);
  h.SyncAll(1);
  NewPatient(h.api("pustu-oetete"), "Maria Goreti", kMelati);
  h.Advance(5 * 60'000);

  CommandResult r = Ctl(h, "pustu-oetete", {"-o", "json", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto st = ParseJson<v1::NodeStatus>(r.out);
  EXPECT_EQ(st.node_id(), "pustu-oetete");
  EXPECT_EQ(st.tier(), v1::PUSTU);
  EXPECT_EQ(st.parent_id(), "pkm-oebobo");
  EXPECT_EQ(st.uptime_s(), 300);
  EXPECT_EQ(st.head(), 1);
  ASSERT_EQ(st.records_size(), 1);
  EXPECT_EQ(st.records(0).kind(), "patient");
  EXPECT_EQ(st.records(0).count(), 1);
  EXPECT_GT(st.store_bytes(), 0);
  // Memory: the tier's default budget, RocksDB's parts, the process.
  EXPECT_EQ(st.memory().budget(), uint64_t{32} << 20);  // a pustu's store_memory_mib
  EXPECT_GT(st.memory().memtables(), 0);
  EXPECT_GE(st.memory().block_cache(), st.memory().memtables());  // charged with them
  EXPECT_GT(st.memory().resident(), 0);
  EXPECT_GE(st.memory().peak_resident(), st.memory().resident());
  ASSERT_EQ(st.peers_size(), 3);  // parent first, then the children
  const v1::PeerStatus& parent = st.peers(0);
  EXPECT_EQ(parent.state().node_id(), "pkm-oebobo");
  EXPECT_EQ(parent.state().role(), "parent");
  EXPECT_EQ(parent.pending_changes(), 1);
  EXPECT_GT(parent.pending_bytes(), 0);
  EXPECT_EQ(parent.oldest_unsent_age_ms(), 5 * 60'000);
  EXPECT_EQ(parent.last_success_age_ms(), 5 * 60'000);
  EXPECT_EQ(parent.last_error_age_ms(), -1);
  EXPECT_EQ(st.peers(1).state().node_id(), "pos-mawar");
  EXPECT_EQ(st.peers(1).state().role(), "child");
  EXPECT_EQ(st.peers(1).pending_changes(), 1);  // upper bound: before scope filtering
  EXPECT_EQ(st.peers(2).state().node_id(), "pos-melati");

  // After a session nothing is pending and the cursors meet the head.
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  st = ParseJson<v1::NodeStatus>(Ctl(h, "pustu-oetete", {"-o", "json", "status"}).out);
  EXPECT_EQ(st.peers(0).pending_changes(), 0);
  EXPECT_EQ(st.peers(0).last_success_age_ms(), 0);
  EXPECT_EQ(st.peers(0).state().sent_cursor(), st.head());
  EXPECT_EQ(st.peers(0).state().sessions(), 3);  // SyncAll(1) ran two

  // The parent becomes unreachable: status says so and exits 4.
  h.Advance(60'000);
  h.dialer("pustu-oetete")->CutAfter(0);
  EXPECT_FALSE(h.Sync("pustu-oetete").ok());
  h.Advance(1000);
  r = Ctl(h, "pustu-oetete", {"-o", "json", "status"});
  EXPECT_EQ(r.exit_code, 4) << r.out;
  st = ParseJson<v1::NodeStatus>(r.out);
  EXPECT_EQ(st.peers(0).last_error_age_ms(), 1000);
  EXPECT_NE(st.peers(0).state().last_error().find("link cut by test"), std::string::npos);
  EXPECT_EQ(st.peers(0).state().errors(), 1);

  CommandResult table = Ctl(h, "pustu-oetete", {"status"});
  EXPECT_EQ(table.exit_code, 4);
  for (const char* want : {"pustu-oetete (PUSTU)", "parent pkm-oebobo", "patient 1", "pos-mawar",
                           "store budget 32.0 MiB: memtables ",
                           "1s ago: sync with parent pkm-oebobo failed", "link cut by test", "(1m)"}) {
    EXPECT_NE(table.out.find(want), std::string::npos) << want << " in\n" << table.out;
  }
}

TEST(AdminTest, SyncNowRunsASessionAndSaysWhatMoved) {
  Hierarchy h(District(), kT0, 4);
  NewPatient(h.api("pos-mawar"), "Siti Aminah", kMawar);
  NewPatient(h.api("pos-mawar"), "Yohana Bria", kMawar);

  CommandResult r = Ctl(h, "pos-mawar", {"-o", "json", "sync", "now", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto resp = ParseJson<v1::SyncNowResponse>(r.out);
  EXPECT_TRUE(resp.ok());
  EXPECT_EQ(resp.parent_id(), "pustu-oetete");
  EXPECT_EQ(resp.sent_changes(), 2);
  EXPECT_EQ(resp.received_changes(), 0);
  EXPECT_GT(resp.sent_bytes(), 0);
  EXPECT_EQ(h.Contents("pustu-oetete"), h.Contents("pos-mawar"));

  CommandResult table = Ctl(h, "pos-mawar", {"sync", "now", "--wait"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("sync with pustu-oetete done"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("sent 0 changes"), std::string::npos) << table.out;

  // A failed session: exit 4 and the reason.
  h.dialer("pos-mawar")->CutAfter(0);
  CommandResult failed = Ctl(h, "pos-mawar", {"sync", "now", "--wait"});
  EXPECT_EQ(failed.exit_code, 4);
  EXPECT_NE(failed.out.find("failed"), std::string::npos) << failed.out;

  // The root has no parent: an error naming why.
  CommandResult root = Ctl(h, "dinkes-kupang", {"sync", "now"});
  EXPECT_EQ(root.exit_code, 1);
  EXPECT_NE(root.err.find("root"), std::string::npos) << root.err;
}

TEST(AdminTest, ConflictsShowBothValuesStampsAndNodes) {
  Hierarchy h(District(), kT0, 5);
  v1::Patient p = NewPatient(h.api("pos-mawar"), "Siti Aminah", kMawar);
  h.SyncAll(1);
  // The kader and the Puskesmas change the phone number while apart.
  auto set_phone = [&](const char* node, const char* phone) {
    v1::UpdatePatientRequest u;
    u.mutable_patient()->set_id(p.id());
    u.mutable_patient()->set_phone(phone);
    u.mutable_update_mask()->add_paths("phone");
    ASSERT_TRUE(h.api(node)->UpdatePatient(u).ok());
  };
  h.Advance(1000);
  set_phone("pos-mawar", "081234000001");
  h.Advance(1000);
  set_phone("pkm-oebobo", "081234000002");
  h.SyncAll(2);

  CommandResult r = Ctl(h, "dinkes-kupang", {"-o", "json", "conflicts", "--since", "1h"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto resp = ParseJson<v1::ListConflictsResponse>(r.out);
  ASSERT_EQ(resp.conflicts_size(), 1) << r.out;
  const v1::LostWrite& w = resp.conflicts(0);
  EXPECT_EQ(w.record_id(), p.id());
  EXPECT_EQ(w.field(), "phone");
  EXPECT_NE(w.winning_value().find("081234000002"), std::string::npos);
  EXPECT_NE(w.losing_value().find("081234000001"), std::string::npos);
  EXPECT_EQ(w.winning_stamp().node(), "pkm-oebobo");
  EXPECT_EQ(w.losing_stamp().node(), "pos-mawar");

  CommandResult table = Ctl(h, "dinkes-kupang", {"conflicts"});
  EXPECT_EQ(table.exit_code, 0);
  for (const char* want : {"field phone", "081234000002", "081234000001", "by pkm-oebobo", "by pos-mawar"}) {
    EXPECT_NE(table.out.find(want), std::string::npos) << want << " in\n" << table.out;
  }
  // Detected more than a day ago: --since 1d no longer lists it.
  h.Advance(2 * kDay);
  resp = ParseJson<v1::ListConflictsResponse>(
      Ctl(h, "dinkes-kupang", {"-o", "json", "conflicts", "--since", "1d"}).out);
  EXPECT_EQ(resp.conflicts_size(), 0);
  EXPECT_EQ(Ctl(h, "dinkes-kupang", {"conflicts", "--since", "last tuesday"}).exit_code, 2);
}

TEST(AdminTest, VerifyExitsFourOnDamage) {
  Hierarchy h(District(), kT0, 6);
  v1::Patient p = NewPatient(h.api("pos-mawar"), "Siti Aminah", kMawar);
  CommandResult ok = Ctl(h, "pos-mawar", {"verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("ok:"), std::string::npos);
  // Damage one index entry under the node.
  ASSERT_TRUE(h.node("pos-mawar")->store()->TEST_DeleteIndexEntry(IndexKey('v', {kMawar, p.id()})).ok());
  CommandResult bad = Ctl(h, "pos-mawar", {"-o", "json", "verify"});
  EXPECT_EQ(bad.exit_code, 4);
  auto resp = ParseJson<v1::VerifyResponse>(bad.out);
  EXPECT_FALSE(resp.ok());
  EXPECT_NE(resp.problems().find("missing index entry"), std::string::npos) << resp.problems();
}

TEST(AdminTest, MetricsEndpointServesPrometheusText) {
  Hierarchy h(District(), kT0, 7, 0, /*metrics=*/true);
  NewPatient(h.api("pos-mawar"), "Siti Aminah", kMawar);
  h.SyncAll(1);  // each link: one session up the tree, one down
  const std::string addr = absl::StrCat("127.0.0.1:", h.node("pkm-oebobo")->metrics_port());
  testing::HttpResponse r = testing::HttpGet(addr, "/metrics");
  ASSERT_EQ(r.status, 200);
  for (const char* want : {
           "ilp_sync_sessions_total{node=\"pkm-oebobo\",peer=\"dinkes-kupang\",role=\"parent\"} 2\n",
           "ilp_sync_sessions_total{node=\"pkm-oebobo\",peer=\"pustu-oetete\",role=\"child\"} 2\n",
           "ilp_sync_received_records_total{node=\"pkm-oebobo\",peer=\"pustu-oetete\",role=\"child\"} 1\n",
           "ilp_sync_sent_records_total{node=\"pkm-oebobo\",peer=\"dinkes-kupang\",role=\"parent\"} 1\n",
           "ilp_records{node=\"pkm-oebobo\",kind=\"patient\"} 1\n",
           "ilp_sync_pending_changes{node=\"pkm-oebobo\",peer=\"dinkes-kupang\",role=\"parent\"} 0\n",
           "ilp_sync_errors_total{node=\"pkm-oebobo\",peer=\"dinkes-kupang\",role=\"parent\"} 0\n",
           "ilp_apply_duration_seconds_count{node=\"pkm-oebobo\"} 1\n",
           "# TYPE ilp_apply_duration_seconds histogram\n",
           "ilp_store_bytes{node=\"pkm-oebobo\"} ",
           "ilp_store_memory_bytes{node=\"pkm-oebobo\",part=\"budget\"} 134217728\n",
           "ilp_store_memory_bytes{node=\"pkm-oebobo\",part=\"memtables\"} ",
           "process_resident_memory_bytes{node=\"pkm-oebobo\"} "}) {
    EXPECT_NE(r.body.find(want), std::string::npos) << want << " in\n" << r.body;
  }
  EXPECT_NE(r.body.find("ilp_sync_sent_bytes_total{node=\"pkm-oebobo\",peer=\"dinkes-kupang\""),
            std::string::npos);
  EXPECT_EQ(testing::HttpGet(addr, "/nothing-here").status, 404);
}

TEST(AdminTest, QuarantineListsRefusedDeltasCountsThemAndExitsFourWhenAny) {
  Hierarchy h(District(), kT0, 8, 0, /*metrics=*/true);
  CommandResult empty = Ctl(h, "pustu-oetete", {"quarantine"});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_NE(empty.out.find("no deltas quarantined"), std::string::npos) << empty.out;

  // As the sync engine will: the refused delta goes into the store, with its reason.
  v1::Record forged;
  forged.set_id("019ab000-0000-7000-8000-0000000000aa");
  forged.mutable_created()->set_node("dinkes-palsu");
  forged.mutable_patient();
  v1::QuarantinedDelta q;
  q.set_from_node("pos-mawar");
  q.set_record_id(forged.id());
  q.set_kind("patient");
  q.set_reason("authorship: record.created.node \"dinkes-palsu\" is neither child \"pos-mawar\" nor in its subtree");
  q.set_delta(forged.SerializeAsString());
  ApplyRequest req;
  req.quarantine = {q};
  ASSERT_TRUE(h.node("pustu-oetete")->store()->Apply(req).ok());
  h.Advance(2 * 3'600'000);

  CommandResult table = Ctl(h, "pustu-oetete", {"quarantine"});
  EXPECT_EQ(table.exit_code, 4) << table.err;
  for (const char* want : {"FROM", "REASON", "pos-mawar", "019ab000-0000-7000-8000-0000000000aa", "patient",
                           "2h", "authorship: record.created.node"}) {
    EXPECT_NE(table.out.find(want), std::string::npos) << want << " in\n" << table.out;
  }
  CommandResult json = Ctl(h, "pustu-oetete", {"-o", "json", "quarantine", "--limit", "5"});
  EXPECT_EQ(json.exit_code, 4) << json.err;
  auto resp = ParseJson<v1::ListQuarantineResponse>(json.out);
  EXPECT_EQ(resp.total(), 1u);
  ASSERT_EQ(resp.deltas_size(), 1);
  EXPECT_EQ(resp.deltas(0).from_node(), "pos-mawar");
  EXPECT_EQ(resp.deltas(0).seq(), 1u);
  EXPECT_EQ(resp.deltas(0).detected_ms(), kT0);
  EXPECT_EQ(resp.now_ms() - resp.deltas(0).detected_ms(), 2 * 3'600'000);

  auto st = ParseJson<v1::NodeStatus>(Ctl(h, "pustu-oetete", {"-o", "json", "status"}).out);
  EXPECT_EQ(st.quarantined_deltas(), 1u);
  const std::string addr = absl::StrCat("127.0.0.1:", h.node("pustu-oetete")->metrics_port());
  testing::HttpResponse m = testing::HttpGet(addr, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("ilp_quarantined_deltas{node=\"pustu-oetete\"} 1\n"), std::string::npos) << m.body;
  // Other nodes have nothing quarantined.
  EXPECT_EQ(Ctl(h, "pkm-oebobo", {"quarantine"}).exit_code, 0);
}

TEST(AdminTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Ilpctl({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Ilpctl({"tree", "--stale", "banana"}).exit_code, 2);
  EXPECT_EQ(Ilpctl({"-o", "yaml", "status"}).exit_code, 2);
  EXPECT_EQ(Ilpctl({"sync"}).exit_code, 2);
}

}  // namespace
}  // namespace ilp
