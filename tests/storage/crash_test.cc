// Crash safety: SIGKILL a real ilp-node in the middle of a write loop, reopen
// its store, and check that every acknowledged write is there, every batch is
// whole, and the indexes and change log agree with the records.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "storage/clock/clock.h"
#include "storage/store/keys.h"
#include "storage/store/store.h"
#include "storage/util/ids.h"
#include "tests/common/node_process.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"

namespace ilp {
namespace {

struct Acked {
  std::mutex mu;
  std::set<std::string> patients;    // ids acknowledged by CreatePatient
  std::set<std::string> encounters;  // ids acknowledged by RecordEncounter
};

// Writes patients and 3-observation encounters until the node dies.
void WriteLoop(const std::string& address, int worker, uint64_t seed, Acked* acked) {
  auto stub = v1::Records::NewStub(testing::TestPki::Default().Channel(address));
  SeededRandom random(seed);
  SystemClock clock;
  for (int i = 0;; ++i) {
    v1::CreatePatientRequest req;
    v1::Patient* p = req.mutable_patient();
    p->set_id(NewUuidV7(clock.NowMs(), &random));
    p->set_name(absl::StrCat("Anak ", worker, "-", i));
    p->mutable_address()->set_village_code(absl::StrCat("537103100", i % 5));
    auto* nik = p->add_identifiers();
    nik->set_system(v1::NIK);
    nik->set_value(absl::StrFormat("53710301%02d%02d%04d", 1 + worker % 12, 10 + i % 90, 1 + i % 9999));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::Patient out;
    if (!stub->CreatePatient(&ctx, req, &out).ok()) return;
    {
      std::lock_guard<std::mutex> l(acked->mu);
      acked->patients.insert(out.id());
    }
    v1::RecordEncounterRequest enc;
    enc.mutable_encounter()->set_patient_id(out.id());
    enc.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
    *enc.mutable_encounter()->mutable_time() =
        google::protobuf::util::TimeUtil::MillisecondsToTimestamp(clock.NowMs());
    for (const char* loinc : {"29463-7", "8302-2", "56072-2"}) {
      auto* o = enc.add_observations();
      o->set_loinc(loinc);
      o->set_value(loinc[0] == '2' ? 9.5 : (loinc[0] == '8' ? 75 : 14));
      o->set_unit(loinc[0] == '2' ? "kg" : "cm");
    }
    grpc::ClientContext ctx2;
    ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::RecordEncounterResponse eout;
    if (!stub->RecordEncounter(&ctx2, enc, &eout).ok()) return;
    std::lock_guard<std::mutex> l(acked->mu);
    acked->encounters.insert(eout.encounter().id());
  }
}

TEST(CrashTest, EveryAcknowledgedWriteSurvivesSigkillAndIndexesAgree) {
  const uint64_t seed = std::random_device()();
  std::printf("crash test seed: %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir dir;
  const std::string config = absl::StrCat(
      "node_id: \"pkm-crash\"\ntier: PUSKESMAS\nworking_area: \"537103\"\n"
      "listen_address: \"127.0.0.1:0\"\ndata_dir: \"", dir.Sub("data"), "\"\n");
  Acked acked;
  for (int round = 0; round < 3; ++round) {
    testing::NodeProcess node(dir.path(), config);
    ASSERT_TRUE(node.Start()) << testing::ReadFile(dir.Sub("node.log"));
    std::vector<std::thread> writers;
    // Four writers, as at a posyandu: their writes share WAL fsyncs (group
    // commit), so a kill lands between a write and the fsync it waits for.
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back(WriteLoop, node.address(), round * 10 + w, seed + round * 10 + w, &acked);
    }
    // Kill at a seeded point, while writes are in flight.
    const size_t target = acked.patients.size() + 50 + rng() % 150;
    for (;;) {
      {
        std::lock_guard<std::mutex> l(acked.mu);
        if (acked.patients.size() >= target) break;
      }
      std::this_thread::yield();
    }
    node.Kill();
    for (auto& t : writers) t.join();

    SystemClock clock;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.Sub("data"), &clock);
    ASSERT_TRUE(store.ok()) << store.status();
    // A kill in the middle of a WAL write leaves a torn record, dropped at
    // open (never an acknowledged one: those are checked below).
    if (!(*store)->recovery_note().empty()) std::printf("round %d: %s\n", round, (*store)->recovery_note().c_str());
    std::lock_guard<std::mutex> l(acked.mu);
    for (const std::string& id : acked.patients) {
      absl::StatusOr<v1::Record> r = (*store)->Get(id);
      ASSERT_TRUE(r.ok()) << "acknowledged patient " << id << " lost in round " << round;
      // The NIK and village indexes find it.
      const std::string& nik = r->patient().elements(0).key();
      absl::StatusOr<std::vector<std::string>> hits =
          (*store)->ScanIndex(IndexKey('n', {nik.substr(4), id}), 1);
      ASSERT_TRUE(hits.ok()) << hits.status();
      EXPECT_FALSE(hits->empty());
    }
    for (const std::string& id : acked.encounters) {
      ASSERT_TRUE((*store)->Get(id).ok()) << "acknowledged encounter " << id << " lost";
    }
    // Batches are whole: every stored encounter has its three observations.
    std::map<std::string, int> obs_per_encounter;
    absl::StatusOr<std::vector<v1::Change>> log = (*store)->ReadChanges(0, SIZE_MAX, SIZE_MAX);
    ASSERT_TRUE(log.ok()) << log.status();
    for (const v1::Change& c : *log) {
      if (c.delta().has_observation()) ++obs_per_encounter[c.delta().observation().encounter_id()];
      if (c.delta().has_encounter()) obs_per_encounter[c.delta().id()] += 0;
    }
    for (const auto& [enc, n] : obs_per_encounter) EXPECT_EQ(n, 3) << "encounter " << enc;
    absl::Status verify = (*store)->Verify();
    EXPECT_TRUE(verify.ok()) << verify;
    EXPECT_GE(acked.patients.size(), target);
  }
}

}  // namespace
}  // namespace ilp
