// A simulated district: the tree of nodes (district, Puskesmas, Pustu,
// posyandu), each a real store, HLC, Records core and sync engine (NodeCore)
// on one in-memory file system, with its own fake clock and seeded randomness.
// Nodes crash (the store closes and loses its unsynced bytes) and restart.
#ifndef ILP_TESTS_SIM_DISTRICT_H_
#define ILP_TESTS_SIM_DISTRICT_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ilp/v1/config.pb.h"
#include "services/node/node_core.h"
#include "storage/clock/clock.h"
#include "storage/util/random.h"
#include "tests/sim/sim_fs.h"

namespace ilp::sim {

// 1 district node, then `puskesmas` x `pustu_per_puskesmas` Pustu, with
// `posyandu` spread over the Pustu (earlier ones get the remainder).
struct DistrictSize {
  int puskesmas = 2;
  int pustu_per_puskesmas = 3;
  int posyandu = 30;
  int villages_per_pustu = 3;
};
// "tiny" (1+1+2+4), "small" (1+2+6+30), "district" (1+20+60+500).
absl::StatusOr<DistrictSize> SizeByName(const std::string& name);

struct SimNode {
  std::string id;
  v1::Tier tier = v1::TIER_UNSPECIFIED;
  int parent = -1;  // index in District::nodes(); -1 at the root
  std::vector<int> children;
  std::vector<std::string> area;      // working area codes
  std::vector<std::string> villages;  // the villages (10-digit codes) inside the area
  std::set<std::string> subtree;      // this node and every node below it
  v1::NodeConfig cfg;
  int64_t clock_offset_ms = 0;  // a wrong device clock: true time + offset
  std::unique_ptr<FakeClock> clock;
  std::unique_ptr<SeededRandom> random;
  NodeCore core;  // null members while crashed
};

class District {
 public:
  // Builds and opens every node. Node randomness derives from `seed`.
  static absl::StatusOr<std::unique_ptr<District>> Open(const DistrictSize& size, uint64_t seed,
                                                        int64_t start_ms, uint32_t max_batch_bytes);
  ~District();

  std::vector<SimNode>& nodes() { return nodes_; }
  SimNode& node(int i) { return nodes_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  const std::vector<std::string>& villages() const { return villages_; }

  // Sets every node's clock to `true_ms` plus its offset.
  void SetTime(int64_t true_ms);
  int64_t now_ms() const { return now_ms_; }

  // Power cut at node `i`: closes its store, drops every unsynced byte,
  // reopens it. Returns the bytes dropped.
  absl::StatusOr<uint64_t> CrashAndRestart(int i);

 private:
  District() = default;
  absl::Status OpenNode(SimNode* n);

  std::shared_ptr<SimFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::vector<SimNode> nodes_;
  std::vector<std::string> villages_;
  int64_t now_ms_ = 0;
};

}  // namespace ilp::sim

#endif  // ILP_TESTS_SIM_DISTRICT_H_
