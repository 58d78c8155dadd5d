// An ILP hierarchy in one test process: real ilp nodes (store, services,
// gRPC on 127.0.0.1:0) with fake clocks, seeded randomness, and a dialer
// that can cut a session after any message. Sessions run only when the test
// says so, so links are down unless a test syncs them (partitions), and a
// seeded order of syncs replays exactly.
#ifndef ILP_TESTS_REPLICATION_HARNESS_H_
#define ILP_TESTS_REPLICATION_HARNESS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/node/node.h"
#include "services/replication/grpc_transport.h"
#include "storage/clock/clock.h"
#include "tests/common/temp_dir.h"

namespace ilp::testing {

// Wraps a real dialer; when armed, the session breaks after `n` more
// messages (reads and writes counted together) as if the link dropped.
// It also notes the encoding of every non-empty batch, either way.
class CuttingDialer : public SyncDialer {
 public:
  explicit CuttingDialer(std::unique_ptr<SyncDialer> inner) : inner_(std::move(inner)) {}
  std::unique_ptr<ClientSyncStream> Open() override;
  void CutAfter(int n) { cut_after_ = n; }  // -1 = never
  const std::vector<v1::BatchEncoding>& encodings() const { return encodings_; }

 private:
  std::unique_ptr<SyncDialer> inner_;
  int cut_after_ = -1;
  std::vector<v1::BatchEncoding> encodings_;
};

struct NodeSpec {
  std::string id;
  v1::Tier tier;
  std::vector<std::string> area;
  std::string parent;  // "" at the root
  // A satusehat block for this node (its exporter is driven by RunOnce()).
  std::optional<v1::SatusehatConfig> satusehat = std::nullopt;
};

// Creates a patient of `village` through a node's Records core (fails the test on error).
v1::Patient NewPatient(RecordsCore* api, const std::string& name, const char* village);

class Hierarchy {
 public:
  // Starts the nodes, parents before children. `max_batch_bytes` 0 = default.
  // With `metrics`, each node serves /metrics on 127.0.0.1:0. With
  // `token_public_key_file`, each node has that auth block, so Records calls
  // need app tokens (and are audited); without, the loopback nodes admit all.
  Hierarchy(std::vector<NodeSpec> specs, int64_t start_ms, uint64_t seed,
            uint32_t max_batch_bytes = 0, bool metrics = false,
            const std::string& token_public_key_file = "");
  ~Hierarchy();

  Node* node(const std::string& id) { return nodes_.at(id).get(); }
  RecordsCore* api(const std::string& id) { return node(id)->records(); }
  FakeClock* clock(const std::string& id) { return clocks_.at(id).get(); }
  CuttingDialer* dialer(const std::string& id) { return dialers_.at(id).get(); }

  // One session between `child` and its parent (after waiting out the
  // parent's ABORTED "retry later" while it still holds a cut session).
  absl::StatusOr<SessionStats> Sync(const std::string& child);
  // Syncs every link bottom-up, then top-down, `rounds` times.
  void SyncAll(int rounds = 2);
  // Advances every node's clock.
  void Advance(int64_t ms);

  // id -> state bytes of every record a node holds.
  std::map<std::string, std::string> Contents(const std::string& id);

 private:
  TempDir dir_;
  std::vector<NodeSpec> specs_;
  std::map<std::string, std::unique_ptr<FakeClock>> clocks_;
  std::map<std::string, std::unique_ptr<SeededRandom>> randoms_;
  std::map<std::string, std::unique_ptr<CuttingDialer>> dialers_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
};

}  // namespace ilp::testing

#endif  // ILP_TESTS_REPLICATION_HARNESS_H_
