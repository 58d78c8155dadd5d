// The server-free part of one node: the store, its hybrid logical clock, the
// Records core and the sync engine, wired from a validated NodeConfig. Node
// (node.h) puts gRPC servers around it; the district simulation
// (tests/sim/) runs hundreds of them in one process.
//
//   ILP_ASSIGN_OR_RETURN(NodeCore core, NodeCore::Open(cfg, &clock, &random, store_opts));
//   core.records->CreatePatient(...);
#ifndef ILP_SERVICES_NODE_NODE_CORE_H_
#define ILP_SERVICES_NODE_NODE_CORE_H_

#include <memory>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/config.pb.h"
#include "services/records/records_core.h"
#include "services/replication/sync_engine.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"

namespace ilp {

struct NodeCore {
  // Opens the store in cfg.data_dir, gives a new store its incarnation id,
  // restores the clock's high water and builds the Records core and sync
  // engine. REQUIRES: `cfg` already passed ValidateNodeConfig. `clock` and
  // `random` must outlive the result.
  ABSL_MUST_USE_RESULT static absl::StatusOr<NodeCore> Open(const v1::NodeConfig& cfg, Clock* clock, Random* random,
                                       StoreOptions store_options);

  // Declared in dependency order, so they are destroyed users first.
  std::unique_ptr<Store> store;
  std::unique_ptr<HybridClock> hlc;
  std::unique_ptr<RecordsCore> records;
  std::unique_ptr<SyncEngine> sync;
};

}  // namespace ilp

#endif  // ILP_SERVICES_NODE_NODE_CORE_H_
