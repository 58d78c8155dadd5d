// A 4-tier chain of real ilp-node processes on loopback for benchmarks:
// posyandu -> pustu -> puskesmas -> district, each link through a LinkProxy
// that counts transport bytes (and may shape the link). The nodes' own sync
// loops are slowed to once an hour; the benchmark drives sessions with
// Admin.SyncNow so it knows exactly which traffic is which.
#ifndef ILP_TESTS_BENCH_CHAIN_H_
#define ILP_TESTS_BENCH_CHAIN_H_

#include <array>
#include <memory>
#include <string>

#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "tests/bench/link_proxy.h"
#include "tests/common/node_process.h"

namespace ilp::bench {

enum Tier { kPosyandu = 0, kPustu = 1, kPuskesmas = 2, kDistrict = 3 };
inline constexpr std::array<const char*, 4> kTierNames = {"posyandu", "pustu", "puskesmas", "district"};

class Chain {
 public:
  // `dir` holds the data dirs; `posyandu_link` shapes the posyandu -> pustu
  // link. Nodes speak TLS with test certificates unless `plaintext` (then
  // `insecure: true`, for the TLS cost comparison).
  Chain(const std::string& dir, LinkShape posyandu_link, bool plaintext = false);
  ~Chain();  // SIGTERMs the nodes still running

  // A node's store_memory_mib; 0 (the default) leaves its tier's. Before Start.
  void set_store_memory_mib(int tier, uint32_t mib) { memory_mib_[tier] = mib; }
  // Starts the nodes, parents first. Returns false (and prints why) on failure.
  bool Start();

  v1::Admin::Stub* admin(int tier) { return admin_[tier].get(); }
  v1::Records::Stub* records(int tier) { return records_[tier].get(); }
  // The proxy in front of the parent of `tier` (posyandu, pustu, puskesmas).
  LinkProxy* link(int tier) { return links_[tier].get(); }
  // Peak resident set (VmHWM) of a node, MiB; 0 if unknown.
  double PeakRssMib(int tier) const;
  // SIGTERM one node and wait for it.
  void Stop(int tier);
  // Stops and starts one node again on the same store (a new connection to
  // its parent); its stubs follow it to its new port.
  bool Restart(int tier);
  std::string data_dir(int tier) const;

 private:
  bool Connect(int tier);

  std::string dir_;
  LinkShape shape_;
  bool plaintext_;
  std::array<uint32_t, 4> memory_mib_{};
  std::array<std::unique_ptr<testing::NodeProcess>, 4> nodes_;
  std::array<std::unique_ptr<LinkProxy>, 3> links_;
  std::array<std::unique_ptr<v1::Admin::Stub>, 4> admin_;
  std::array<std::unique_ptr<v1::Records::Stub>, 4> records_;
};

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_CHAIN_H_
