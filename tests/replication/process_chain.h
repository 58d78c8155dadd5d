// Real ilp-node processes for replication tests: config text, clients, and a
// district chain whose links can be taken down (a child restarted with an
// unreachable parent address) and brought back.
#ifndef ILP_TESTS_REPLICATION_PROCESS_CHAIN_H_
#define ILP_TESTS_REPLICATION_PROCESS_CHAIN_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ilp/v1/records_service.grpc.pb.h"
#include "tests/common/node_process.h"
#include "tests/common/temp_dir.h"

namespace ilp::testing {

// A NodeConfig textproto. `area` and child areas may list several codes, comma-separated.
std::string NodeConfigText(const std::string& id, const char* tier, const std::string& area,
                           const std::string& data, const std::string& listen,
                           const std::string& parent_id, const std::string& parent_addr,
                           const std::vector<std::pair<std::string, std::string>>& children);

std::unique_ptr<v1::Records::Stub> RecordsStub(const std::string& addr);

// Seq of the newest record entry in a node's change log, read through
// WatchChanges from `after` (seqs are local to a node: compare them only with
// the same node's).
uint64_t ChangeLogHead(v1::Records::Stub* stub, uint64_t after = 0);

// Change-log entries that are records (patients, visits, referrals, tasks),
// counted through WatchChanges, which streams every entry but audit events.
// Comparable across nodes, where seqs are not: each node's log also holds
// audit events (its own, and those its children send up), interleaved.
uint64_t RecordEntries(v1::Records::Stub* stub);

// id -> state bytes of every record in a stopped node's store (Verify checked).
std::map<std::string, std::string> StoreContents(const std::string& data_dir);

// Registers a patient of `village` at a node over gRPC (fails the test on
// error); returns its id.
std::string CreatePatientAt(v1::Records::Stub* api, const std::string& name, const std::string& village);

// True if the node holds patient `id` (GetPatient answers OK).
bool HasPatient(v1::Records::Stub* api, const std::string& id);

// Polls `done` every 50 ms for up to `seconds`; true once it holds.
bool WaitUntil(const std::function<bool()>& done, int seconds = 60);

// A set of real nodes in one temp dir, described by specs and started in
// order (parents first). A node restarted after Stop or Kill keeps its
// address and data dir, so its parent and children find it again.
class NodeSet {
 public:
  struct Spec {
    std::string id;
    const char* tier;
    std::string area, parent;
    std::vector<std::pair<std::string, std::string>> children;  // id, area
    std::vector<std::string> wrapper;  // e.g. a faketime environment
  };
  explicit NodeSet(std::vector<Spec> specs) : specs_(std::move(specs)) {}
  bool StartAll();
  bool Start(const std::string& id);
  // SIGTERM; returns the exit status.
  int Stop(const std::string& id) { return procs_.at(id)->Stop(); }
  // SIGKILL, as a power cut would.
  void Kill(const std::string& id) { procs_.at(id)->Kill(); }
  v1::Records::Stub* api(const std::string& id) { return api_.at(id).get(); }
  const std::string& addr(const std::string& id) { return addr_.at(id); }
  std::string DataDir(const std::string& id) const { return dir_.Sub(id + "/data"); }
  // The node's directory: node.textproto (as started), node.log, data/.
  std::string Dir(const std::string& id) const { return dir_.Sub(id); }
  const std::vector<Spec>& specs() const { return specs_; }

 private:
  const Spec& spec(const std::string& id) const;
  TempDir dir_;
  std::vector<Spec> specs_;
  std::map<std::string, std::unique_ptr<NodeProcess>> procs_;
  std::map<std::string, std::string> addr_;
  std::map<std::string, std::unique_ptr<v1::Records::Stub>> api_;
};

// dinkes-kupang > pkm-oebobo > pustu-oetete > {pos-mawar, pos-melati},
// syncing every second.
class DistrictChain {
 public:
  DistrictChain();
  bool Start();
  // Restarts `node` on the same address with its parent link down or up.
  bool SetLink(const std::string& node, bool up);
  v1::Records::Stub* api(const std::string& node);
  std::string DataDir(const std::string& node) const { return dir_.Sub(node + "/data"); }
  void StopAll();

 private:
  struct Spec {
    std::string id;
    const char* tier;
    std::string area, parent;
    std::vector<std::pair<std::string, std::string>> children;
  };
  bool Launch(const Spec& s, const std::string& listen, bool link_up);

  TempDir dir_;
  std::vector<Spec> specs_;
  std::map<std::string, std::unique_ptr<NodeProcess>> procs_;
  std::map<std::string, std::string> addr_;
  std::map<std::string, std::unique_ptr<v1::Records::Stub>> stubs_;
};

}  // namespace ilp::testing

#endif  // ILP_TESTS_REPLICATION_PROCESS_CHAIN_H_
