// A TCP proxy standing in for one link of the hierarchy in benchmarks: it
// counts the bytes that cross it at the transport (HTTP/2 and gRPC framing
// included), in each direction, and the turns (changes of direction), and it
// can shape the link: a bandwidth and a one-way delay, like a 2G uplink.
//
//   LinkProxy proxy("127.0.0.1:41001", {64000, absl::Milliseconds(300)});
//   proxy.Start();                  // proxy.address() -> the child's parent_address
//   ... proxy.bytes_up(), proxy.bytes_down(), proxy.turns() ...
#ifndef ILP_TESTS_BENCH_LINK_PROXY_H_
#define ILP_TESTS_BENCH_LINK_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace ilp::bench {

struct LinkShape {
  uint64_t bits_per_second = 0;            // 0 = unlimited
  absl::Duration one_way_delay = absl::ZeroDuration();
};

class LinkProxy {
 public:
  LinkProxy(std::string upstream, LinkShape shape) : upstream_(std::move(upstream)), shape_(shape) {}
  ~LinkProxy();  // stops and joins every thread

  // Listens on 127.0.0.1:0. Returns false if it cannot.
  bool Start();
  const std::string& address() const { return address_; }

  uint64_t bytes_up() const { return up_.load(); }      // child -> parent
  uint64_t bytes_down() const { return down_.load(); }  // parent -> child
  // Times the traffic changed direction; a request/response exchange is two.
  uint64_t turns() const { return turns_.load(); }
  // Drops every open connection (a village link going down); new ones are
  // accepted as before.
  void CutConnections();
  void ResetCounters() {
    up_ = 0;
    down_ = 0;
    turns_ = 0;
  }

 private:
  void AcceptLoop();
  // Copies src -> dst, counting into `counter`, shaping if asked.
  void Pump(int src, int dst, std::atomic<uint64_t>* counter, int dir);

  const std::string upstream_;
  const LinkShape shape_;
  std::string address_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> up_{0}, down_{0}, turns_{0};
  std::atomic<int> last_dir_{-1};
  std::mutex mu_;  // guards threads_ and fds_
  std::vector<std::thread> threads_;
  std::vector<int> fds_;
  std::thread acceptor_;
};

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_LINK_PROXY_H_
