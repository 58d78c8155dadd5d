// Trust between nodes with real processes over TLS: devices whose clocks are
// wrong (run under faketime) still connect and cannot drag the hierarchy into
// the future, and a node restored from an older copy of its data dir loses
// nothing on either side.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"
#include "tests/common/run_command.h"
#include "tests/replication/process_chain.h"

namespace ilp {
namespace {

using testing::NodeConfigText;
using testing::NodeProcess;
using testing::RecordsStub;
using testing::TempDir;
using testing::WaitUntil;

constexpr char kMawar[] = "5371031001";
constexpr int64_t kSkewMs = 300'000;  // the default max_clock_skew_s

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs a node under libfaketime (tests/common/run_command.h).
std::vector<std::string> FakeTime(const std::string& spec) { return testing::FakeTimeEnv(spec); }

grpc::ClientContext* Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

v1::Patient Create(v1::Records::Stub* api, const std::string& name) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(name);
  req.mutable_patient()->mutable_address()->set_village_code(kMawar);
  v1::Patient p;
  grpc::ClientContext ctx;
  grpc::Status s = api->CreatePatient(Deadline(&ctx), req, &p);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return p;
}

grpc::Status Update(v1::Records::Stub* api, const std::string& id, const std::string& field,
                    const std::string& value) {
  v1::UpdatePatientRequest req;
  req.mutable_patient()->set_id(id);
  if (field == "phone") req.mutable_patient()->set_phone(value);
  if (field == "name") req.mutable_patient()->set_name(value);
  req.mutable_update_mask()->add_paths(field);
  v1::Patient p;
  grpc::ClientContext ctx;
  return api->UpdatePatient(Deadline(&ctx), req, &p);
}

std::optional<v1::Patient> Get(v1::Records::Stub* api, const std::string& id) {
  v1::GetPatientRequest req;
  req.set_id(id);
  v1::Patient p;
  grpc::ClientContext ctx;
  if (!api->GetPatient(Deadline(&ctx), req, &p).ok()) return std::nullopt;
  return p;
}

// The newest change of a node's log (its delta carries the writer's stamps).
v1::ChangeEvent LastChange(v1::Records::Stub* api) {
  const uint64_t head = testing::ChangeLogHead(api);
  grpc::ClientContext ctx;
  v1::WatchChangesRequest req;
  req.set_after_seq(head - 1);
  auto reader = api->WatchChanges(Deadline(&ctx), req);
  v1::ChangeEvent ev, last;
  while (reader->Read(&ev)) last = ev;
  (void)reader->Finish();  // the events read are what the test checks
  return last;
}

using Nodes = testing::NodeSet;

// Scenario 7 over TLS: a device whose clock reads 2019 sees every certificate
// as "not yet valid", one a year ahead sees them "expired". Both still
// connect, because certificates are judged on trusted time learned from the
// parent (docs/security.md), and their records reach the parent.
TEST(TrustProcessTest, DevicesWithWrongClocksStillConnectOverTls) {
  Nodes n({{"pustu-oetete", "PUSTU", kMawar, "", {{"pos-mawar", kMawar}, {"pos-melati", kMawar}}, {}},
           {"pos-mawar", "POSYANDU", kMawar, "pustu-oetete", {}, FakeTime("@2019-01-01 00:00:00")},
           {"pos-melati", "POSYANDU", kMawar, "pustu-oetete", {}, FakeTime("+365d")}});
  ASSERT_TRUE(n.StartAll());
  const v1::Patient slow = Create(n.api("pos-mawar"), "Dewi Slow Clock");
  const v1::Patient fast = Create(n.api("pos-melati"), "Rudi Fast Clock");
  const v1::Patient up = Create(n.api("pustu-oetete"), "Maria Pustu");
  EXPECT_TRUE(WaitUntil([&] { return Get(n.api("pustu-oetete"), slow.id()).has_value(); }, 30));
  EXPECT_TRUE(WaitUntil([&] { return Get(n.api("pustu-oetete"), fast.id()).has_value(); }, 30));
  EXPECT_TRUE(WaitUntil([&] { return Get(n.api("pos-mawar"), up.id()).has_value(); }, 30));
  EXPECT_TRUE(WaitUntil([&] { return Get(n.api("pos-melati"), up.id()).has_value(); }, 30));
  // Once it has synced, the 2019 device stamps at trusted time, not in 2019.
  Create(n.api("pos-mawar"), "Dewi Second Visit");
  const v1::ChangeEvent ev = LastChange(n.api("pos-mawar"));
  EXPECT_GE(ev.delta().created().anchor_ms(), NowMs() - 60'000);
  EXPECT_GE(ev.delta().created().wall_ms(), NowMs() - 60'000);
}

// A posyandu a year ahead edits a phone; the puskesmas edits it again after
// seeing that value and wins; the edit reaches the pustu, whose own new stamps
// stay within the skew of true time, so a district edit made after the
// pustu's wins everywhere.
TEST(TrustProcessTest, AFastClockDoesNotSpreadThroughTheTiers) {
  Nodes n({{"dinkes-kupang", "DISTRICT", "5371", "", {{"pkm-oebobo", "537103"}}, {}},
           {"pkm-oebobo", "PUSKESMAS", "537103", "dinkes-kupang", {{"pustu-oetete", kMawar}}, {}},
           {"pustu-oetete", "PUSTU", kMawar, "pkm-oebobo", {{"pos-mawar", kMawar}}, {}},
           {"pos-mawar", "POSYANDU", kMawar, "pustu-oetete", {}, FakeTime("+365d")}});
  ASSERT_TRUE(n.StartAll());
  const v1::Patient p = Create(n.api("pkm-oebobo"), "Yohana Lado");
  ASSERT_TRUE(WaitUntil([&] { return Get(n.api("pos-mawar"), p.id()).has_value(); }, 30));
  grpc::Status fast_edit = Update(n.api("pos-mawar"), p.id(), "phone", "081100000001");
  ASSERT_TRUE(fast_edit.ok()) << fast_edit.error_message();
  ASSERT_TRUE(WaitUntil([&] {
    auto got = Get(n.api("pkm-oebobo"), p.id());
    return got && got->phone() == "081100000001";
  }, 30));
  ASSERT_TRUE(Update(n.api("pkm-oebobo"), p.id(), "phone", "081200000002").ok());
  for (const char* node : {"dinkes-kupang", "pustu-oetete", "pos-mawar"}) {
    EXPECT_TRUE(WaitUntil([&] {
      auto got = Get(n.api(node), p.id());
      return got && got->phone() == "081200000002";
    }, 30)) << node << ": an edit made after seeing a value must beat it";
  }
  // The pustu has now seen the puskesmas edit (stamped after the fast one);
  // its own clock must not have followed a year ahead.
  Create(n.api("pustu-oetete"), "Pustu After");
  const v1::ChangeEvent ev = LastChange(n.api("pustu-oetete"));
  EXPECT_LE(ev.delta().created().wall_ms(), NowMs() + kSkewMs);
  EXPECT_LE(ev.delta().created().anchor_ms(), NowMs() + kSkewMs);
  ASSERT_TRUE(Update(n.api("pustu-oetete"), p.id(), "name", "Yohana (pustu)").ok());
  const v1::ChangeEvent pustu_edit = LastChange(n.api("pustu-oetete"));
  ASSERT_EQ(pustu_edit.delta().patient().versions_size(), 1);
  const int64_t pustu_wall = pustu_edit.delta().patient().versions(0).stamp().wall_ms();
  ASSERT_LE(pustu_wall, NowMs() + kSkewMs) << "the pustu's clock followed the fast posyandu";
  // "Later" means a later millisecond: two concurrent edits stamped in the
  // same millisecond tie-break by node id (docs/merge.md), whoever came first.
  const int64_t waited_from = NowMs();
  while (NowMs() <= pustu_wall && NowMs() - waited_from < 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(Update(n.api("dinkes-kupang"), p.id(), "name", "Yohana (district)").ok());
  for (const char* node : {"dinkes-kupang", "pkm-oebobo", "pustu-oetete", "pos-mawar"}) {
    EXPECT_TRUE(WaitUntil([&] {
      auto got = Get(n.api(node), p.id());
      return got && got->name() == "Yohana (district)";
    }, 30)) << node << ": the later district edit must win";
  }
}

// A posyandu restored from a copy of its data dir taken earlier: what it
// wrote after the copy (and had synced) comes back to it, what it writes
// after the restore reaches the parent, and both sides raise the alarm.
TEST(TrustProcessTest, ANodeRestoredFromAnOlderCopyLosesNothingOnEitherSide) {
  Nodes n({{"pustu-oetete", "PUSTU", kMawar, "", {{"pos-mawar", kMawar}}, {}},
           {"pos-mawar", "POSYANDU", kMawar, "pustu-oetete", {}, {}}});
  ASSERT_TRUE(n.StartAll());
  const v1::Patient before = Create(n.api("pos-mawar"), "Before Copy");
  ASSERT_TRUE(WaitUntil([&] { return Get(n.api("pustu-oetete"), before.id()).has_value(); }, 30));
  n.Stop("pos-mawar");
  const std::string data = n.DataDir("pos-mawar"), copy = data + ".copy";
  std::filesystem::copy(data, copy, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(n.Start("pos-mawar"));
  const v1::Patient after = Create(n.api("pos-mawar"), "After Copy");
  ASSERT_TRUE(WaitUntil([&] { return Get(n.api("pustu-oetete"), after.id()).has_value(); }, 30));
  n.Stop("pos-mawar");
  std::filesystem::remove_all(data);
  std::filesystem::rename(copy, data);
  ASSERT_TRUE(n.Start("pos-mawar"));
  EXPECT_TRUE(WaitUntil([&] { return Get(n.api("pos-mawar"), after.id()).has_value(); }, 30))
      << "the write made after the copy must come back to the restored node";
  const v1::Patient restored = Create(n.api("pos-mawar"), "After Restore");
  EXPECT_TRUE(WaitUntil([&] { return Get(n.api("pustu-oetete"), restored.id()).has_value(); }, 30))
      << "a write after the restore must not be skipped by a stale cursor";
  for (const auto& id : {before.id(), after.id()}) {
    EXPECT_TRUE(Get(n.api("pustu-oetete"), id).has_value());
    EXPECT_TRUE(Get(n.api("pos-mawar"), id).has_value());
  }
  testing::CommandResult st = testing::Ilpctl({"--node", n.addr("pustu-oetete"), "status"});
  EXPECT_EQ(st.exit_code, 4) << st.out << st.err;
  EXPECT_NE(st.out.find("ALARM pos-mawar"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("restored from an older copy"), std::string::npos) << st.out;
}

// A pustu whose damaged store is moved aside and replaced by an empty one
// (docs/operations.md): it re-pulls from its puskesmas, and its posyandu,
// whose down cursor counts in the old store's change log, gets everything
// again, including what the new store holds below that old cursor.
TEST(TrustProcessTest, AParentReplacedByAnEmptyStoreResendsItsChildEverything) {
  Nodes n({{"pkm-oebobo", "PUSKESMAS", kMawar, "", {{"pustu-oetete", kMawar}}, {}},
           {"pustu-oetete", "PUSTU", kMawar, "pkm-oebobo", {{"pos-mawar", kMawar}}, {}},
           {"pos-mawar", "POSYANDU", kMawar, "pustu-oetete", {}, {}}});
  // First at the puskesmas, while the pustu is not running: seq 1 there.
  ASSERT_TRUE(n.Start("pkm-oebobo"));
  const v1::Patient first = Create(n.api("pkm-oebobo"), "First At Puskesmas");
  ASSERT_EQ(n.Stop("pkm-oebobo"), 0);
  // The posyandu and the (old) pustu exchange 10 records; the posyandu's
  // down cursor passes all of them.
  ASSERT_TRUE(n.Start("pustu-oetete"));
  ASSERT_TRUE(n.Start("pos-mawar"));
  for (int i = 0; i < 9; ++i) Create(n.api("pos-mawar"), absl::StrCat("Posyandu ", i));
  const v1::Patient at_pustu = Create(n.api("pustu-oetete"), "At Old Pustu");
  ASSERT_TRUE(WaitUntil([&] { return Get(n.api("pos-mawar"), at_pustu.id()).has_value(); }, 30));
  ASSERT_EQ(n.Stop("pos-mawar"), 0);
  // The puskesmas comes back and collects the pustu's records; then the
  // pustu's store is moved aside and it starts empty, re-pulling: `first`
  // is now low in its change log, below the posyandu's old cursor.
  ASSERT_TRUE(n.Start("pkm-oebobo"));
  ASSERT_TRUE(WaitUntil([&] { return Get(n.api("pkm-oebobo"), at_pustu.id()).has_value(); }, 30));
  ASSERT_EQ(n.Stop("pustu-oetete"), 0);
  std::filesystem::rename(n.DataDir("pustu-oetete"), n.DataDir("pustu-oetete") + ".damaged");
  ASSERT_TRUE(n.Start("pustu-oetete"));
  ASSERT_TRUE(WaitUntil([&] { return Get(n.api("pustu-oetete"), at_pustu.id()).has_value(); }, 30));
  ASSERT_TRUE(Get(n.api("pustu-oetete"), first.id()).has_value());
  ASSERT_TRUE(n.Start("pos-mawar"));
  EXPECT_TRUE(WaitUntil([&] { return Get(n.api("pos-mawar"), first.id()).has_value(); }, 30))
      << "the posyandu's old down cursor skipped the new pustu's first changes";
}

}  // namespace
}  // namespace ilp
