// A small, deterministic node for the fuzz targets: a real Store in a temp
// directory (run.sh points TMPDIR at /dev/shm), a fake clock, a seeded HLC and
// Records core, and a few records every fresh store starts with.
//
// Opening RocksDB per input would cap a target at a few hundred runs a
// second, so a FuzzNode keeps its store across inputs and replaces it with a
// freshly seeded one every `reset_every` inputs, after Store::Verify() and the
// caller's own checks pass. State therefore carries over between at most that
// many inputs. ILP_FUZZ_RESET_EVERY=1 gives every input a fresh store (replaying
// a crash file).
//
//   static FuzzNode* node = new FuzzNode(ParentConfig(), 2000);
//   node->NextInput();   // may reset
//   SyncEngine engine(node->cfg(), node->store(), node->hlc());
#ifndef ILP_TESTS_FUZZ_FUZZ_NODE_H_
#define ILP_TESTS_FUZZ_FUZZ_NODE_H_

#include <memory>
#include <string>

#include "ilp/v1/config.pb.h"
#include "services/records/records_core.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"
#include "tests/common/temp_dir.h"

namespace ilp::fuzz {

// 2026-01-01T00:00:00Z: every fresh node starts here.
inline constexpr int64_t kStartMs = 1767225600000;

// "pkm-fuzz", a Puskesmas with children "pustu-a" (village 5371031001) and
// "pustu-b" (5371031002), over area 537103.
v1::NodeConfig ParentConfig();
// "pustu-a" under "pkm-fuzz".
v1::NodeConfig ChildConfig();

// Silences spdlog and protobuf's log, which would otherwise print a line for
// most inputs (quarantined deltas, strings that are not UTF-8). Call from
// LLVMFuzzerInitialize.
void QuietLogs();

// Aborts with `what` and the status when `s` is not OK: a fuzz finding.
void Check(const absl::Status& s, const char* what);

// Aborts naming the broken invariant `what`: a fuzz finding.
[[noreturn]] void Fail(const std::string& what);

// Ids of the records every fresh store starts with (deterministic).
struct SeededIds {
  std::string patient, other_patient, encounter, referral;
};

class FuzzNode {
 public:
  // `reset_every` 0 reads ILP_FUZZ_RESET_EVERY (default 2000).
  FuzzNode(v1::NodeConfig cfg, int reset_every);
  ~FuzzNode();

  // Call at the start of every input: replaces the store when due.
  void NextInput();

  const v1::NodeConfig& cfg() const { return cfg_; }
  Store* store() { return store_.get(); }
  HybridClock* hlc() { return hlc_.get(); }
  FakeClock* clock() { return &clock_; }
  RecordsCore* records() { return records_.get(); }
  const SeededIds& seeded() const { return seeded_; }

 private:
  // Verifies the old store (abort on damage), then opens and seeds a new one.
  void Reset();
  // Writes the starting records through the Records core.
  void Seed();

  const v1::NodeConfig cfg_;
  const int reset_every_;
  int inputs_ = 0;
  FakeClock clock_{kStartMs};
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HybridClock> hlc_;
  std::unique_ptr<SeededRandom> random_;
  std::unique_ptr<RecordsCore> records_;
  SeededIds seeded_;
};

}  // namespace ilp::fuzz

#endif  // ILP_TESTS_FUZZ_FUZZ_NODE_H_
