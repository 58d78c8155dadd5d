// Real ilp-node processes on 127.0.0.1 (ephemeral ports): a 4-tier chain
// plus a sibling posyandu. The pustu is SIGKILLed in the middle of a
// 50,000-record session and restarted; afterwards every node holds exactly
// the records in its scope, none lost and none doubled.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "tests/common/node_process.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"
#include "tests/replication/process_chain.h"

namespace ilp {
namespace {

constexpr char kMawar[] = "5371031001";
constexpr char kMelati[] = "5371031002";
constexpr int kCalls = 500, kObsPerCall = 98;  // 500 * (patient + encounter + 98) = 50,000

using testing::ChangeLogHead;
using testing::NodeConfigText;
using testing::RecordEntries;
using testing::RecordsStub;
using testing::StoreContents;

TEST(ProcessReplicationTest, ParentKilledMidSessionResumesWithNothingLostOrDoubled) {
  testing::TempDir dir;
  auto sub = [&](const std::string& n) {
    std::filesystem::create_directories(dir.Sub(n));
    return dir.Sub(n);
  };
  testing::NodeProcess district(sub("dinkes"), NodeConfigText("dinkes-kupang", "DISTRICT", "5371", dir.Sub("dinkes/data"), "127.0.0.1:0", "", "", {{"pkm-oebobo", "537103"}}));
  ASSERT_TRUE(district.Start());
  testing::NodeProcess pkm(sub("pkm"), NodeConfigText("pkm-oebobo", "PUSKESMAS", "537103", dir.Sub("pkm/data"), "127.0.0.1:0", "dinkes-kupang", district.address(), {{"pustu-oetete", "5371031001,5371031002"}}));
  ASSERT_TRUE(pkm.Start());
  auto pustu_config = [&](const std::string& listen) {
    return NodeConfigText("pustu-oetete", "PUSTU", "5371031001,5371031002", dir.Sub("pustu/data"), listen, "pkm-oebobo",
                  pkm.address(), {{"pos-mawar", kMawar}, {"pos-melati", kMelati}});
  };
  auto pustu = std::make_unique<testing::NodeProcess>(sub("pustu"), pustu_config("127.0.0.1:0"));
  ASSERT_TRUE(pustu->Start());
  const std::string pustu_addr = pustu->address();
  testing::NodeProcess melati(sub("melati"), NodeConfigText("pos-melati", "POSYANDU", kMelati, dir.Sub("melati/data"), "127.0.0.1:0", "pustu-oetete", pustu_addr, {}));
  ASSERT_TRUE(melati.Start());

  // The posyandu records 50,000 records while its parent link is... its own:
  // start it only once the data is there, so the first session carries all.
  testing::NodeProcess mawar(sub("mawar"), NodeConfigText("pos-mawar", "POSYANDU", kMawar, dir.Sub("mawar/data"), "127.0.0.1:0", "pustu-oetete", "127.0.0.1:1", {}));
  ASSERT_TRUE(mawar.Start());  // parent unreachable: records offline
  {
    auto stub = RecordsStub(mawar.address());
    SystemClock clock;
    for (int i = 0; i < kCalls; ++i) {
      v1::CreatePatientRequest cp;
      cp.mutable_patient()->set_name(absl::StrCat("Anak ", i));
      cp.mutable_patient()->mutable_address()->set_village_code(kMawar);
      v1::Patient p;
      grpc::ClientContext c1;
      ASSERT_TRUE(stub->CreatePatient(&c1, cp, &p).ok());
      v1::RecordEncounterRequest enc;
      enc.mutable_encounter()->set_patient_id(p.id());
      enc.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
      *enc.mutable_encounter()->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(clock.NowMs());
      for (int k = 0; k < kObsPerCall; ++k) {
        auto* o = enc.add_observations();
        o->set_loinc("29463-7");
        o->set_value(8 + k % 10);
        o->set_unit("kg");
      }
      v1::RecordEncounterResponse r;
      grpc::ClientContext c2;
      ASSERT_TRUE(stub->RecordEncounter(&c2, enc, &r).ok());
    }
  }
  // 50,000 record entries (the log also holds each write call's audit event,
  // which WatchChanges does not stream and which the count leaves out).
  const uint64_t total = RecordEntries(RecordsStub(mawar.address()).get());
  ASSERT_EQ(total, 50000u);
  // The seq of the last record entry: the pustu's log, a copy of the
  // posyandu's, reaches it only when the session is (nearly) done.
  const uint64_t mawar_head = ChangeLogHead(RecordsStub(mawar.address()).get(), 0);
  mawar.Stop();
  // Now point the posyandu at the pustu and let it sync.
  testing::NodeProcess mawar2(dir.Sub("mawar"), NodeConfigText("pos-mawar", "POSYANDU", kMawar, dir.Sub("mawar/data"), "127.0.0.1:0", "pustu-oetete", pustu_addr, {}));
  ASSERT_TRUE(mawar2.Start());
  // Kill the pustu once part of the session has landed.
  // The pustu's log head by GetStatus (it scans each peer's backlog, but
  // answers at once), where reading the log through WatchChanges chases the
  // session to its end before it answers.
  auto pustu_stub = RecordsStub(pustu_addr);
  auto pustu_admin = v1::Admin::NewStub(testing::TestPki::Default().Channel(pustu_addr));
  auto pustu_head = [&]() -> uint64_t {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::NodeStatus st;
    return pustu_admin->GetStatus(&c, v1::GetStatusRequest(), &st).ok() ? st.head() : 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  uint64_t seen = 0;
  while ((seen = pustu_head()) < 5000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling an observable, not hiding a race
  }
  ASSERT_GE(seen, 5000u);
  pustu->Kill();
  std::printf("pustu killed at seq %llu of %llu\n", (unsigned long long)seen, (unsigned long long)mawar_head);
  ASSERT_LT(seen, mawar_head) << "the session finished before the kill; nothing was cut";
  pustu = std::make_unique<testing::NodeProcess>(dir.Sub("pustu"), pustu_config(pustu_addr));
  ASSERT_TRUE(pustu->Start());

  // Converged when the district's log holds every record entry (the chain adds none).
  auto district_stub = RecordsStub(district.address());
  const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (RecordEntries(district_stub.get()) < total && std::chrono::steady_clock::now() < deadline2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(RecordEntries(district_stub.get()), total);
  ASSERT_EQ(RecordEntries(pustu_stub.get()), total) << "pustu's log has doubled or missing entries";
  for (auto* n : {&mawar2, &melati, &pkm, &district}) EXPECT_EQ(n->Stop(), 0);
  EXPECT_EQ(pustu->Stop(), 0);

  const auto at_mawar = StoreContents(dir.Sub("mawar/data"));
  ASSERT_EQ(at_mawar.size(), 50000u);
  EXPECT_EQ(StoreContents(dir.Sub("pustu/data")), at_mawar);
  EXPECT_EQ(StoreContents(dir.Sub("pkm/data")), at_mawar);
  EXPECT_EQ(StoreContents(dir.Sub("dinkes/data")), at_mawar);
  EXPECT_TRUE(StoreContents(dir.Sub("melati/data")).empty()) << "the sibling received records outside its area";
}

}  // namespace
}  // namespace ilp
