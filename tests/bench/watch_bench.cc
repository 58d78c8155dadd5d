// Benchmark: how soon a following WatchChanges stream sees a commit (issue
// 14, target 8). A node on loopback; one follow stream over gRPC; writes one
// at a time through the Records core, each fsynced before it returns. The
// delay of a write is from the moment its commit returned to the moment its
// event reached the client (0 when the event arrived first: the stream wakes
// on the commit itself, before the writer's call has returned).
//
//   build/bin/watch_bench [WRITES [GAP_MS]]     (defaults 2000 and 2)
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/node/config.h"
#include "services/node/node.h"
#include "storage/clock/clock.h"
#include "storage/util/random.h"
#include "tests/bench/visits.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

using Steady = std::chrono::steady_clock;

int Run(int writes, int gap_ms) {
  testing::TempDir dir;
  v1::NodeConfig cfg;
  cfg.set_node_id("pkm-oebobo");
  cfg.set_tier(v1::PUSKESMAS);
  cfg.add_working_area("537103");
  cfg.set_listen_address("127.0.0.1:0");
  cfg.set_data_dir(dir.Sub("data"));
  cfg.set_insecure(true);  // loopback only
  if (absl::Status s = ValidateNodeConfig(&cfg); !s.ok()) {
    std::fprintf(stderr, "config: %s\n", s.ToString().c_str());
    return 1;
  }
  SystemClock clock;
  SeededRandom random(7);
  absl::StatusOr<std::unique_ptr<Node>> node = Node::Start(cfg, &clock, &random);
  if (!node.ok()) {
    std::fprintf(stderr, "start: %s\n", node.status().ToString().c_str());
    return 1;
  }
  auto stub = v1::Records::NewStub(grpc::CreateChannel((*node)->address(), grpc::InsecureChannelCredentials()));

  absl::Mutex mu;
  std::map<std::string, Steady::time_point> seen;  // record id -> event arrival
  grpc::ClientContext ctx;
  v1::WatchChangesRequest req;
  req.set_follow(true);
  auto reader = stub->WatchChanges(&ctx, req);
  std::thread watcher([&] {
    v1::ChangeEvent ev;
    while (reader->Read(&ev)) {
      const Steady::time_point now = Steady::now();
      absl::MutexLock l(&mu);
      seen.emplace(ev.record_id(), now);
    }
  });

  std::vector<std::pair<std::string, Steady::time_point>> committed;
  for (int i = 0; i < writes; ++i) {
    const v1::CreatePatientRequest cp = bench::MakePatient(1, i);
    absl::StatusOr<v1::Patient> p = (*node)->records()->CreatePatient(cp);
    const Steady::time_point done = Steady::now();
    if (!p.ok()) {
      std::fprintf(stderr, "write %d: %s\n", i, p.status().ToString().c_str());
      return 1;
    }
    committed.emplace_back(p->id(), done);
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
  }
  // Every event arrives (the stream is caught up within a second or so).
  const Steady::time_point deadline = Steady::now() + std::chrono::seconds(30);
  for (;;) {
    {
      absl::MutexLock l(&mu);
      if (seen.size() >= committed.size()) break;
    }
    if (Steady::now() > deadline) {
      std::fprintf(stderr, "not every event arrived\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ctx.TryCancel();
  watcher.join();
  (void)reader->Finish();  // CANCELLED, as asked

  std::vector<double> delay_us;
  int before_ack = 0;
  {
    absl::MutexLock l(&mu);
    for (const auto& [id, done] : committed) {
      const double us = std::chrono::duration<double, std::micro>(seen.at(id) - done).count();
      if (us <= 0) ++before_ack;
      delay_us.push_back(std::max(0.0, us));
    }
  }
  std::sort(delay_us.begin(), delay_us.end());
  auto pct = [&](double q) { return delay_us[std::min(delay_us.size() - 1, static_cast<size_t>(q * delay_us.size()))]; };
  std::printf("writes %zu, gap %d ms: commit-to-event p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us; "
              "%d events arrived before the writer's call returned\n",
              delay_us.size(), gap_ms, pct(0.50), pct(0.90), pct(0.99), delay_us.back(),
              before_ack);
  (*node)->Shutdown();
  return 0;
}

}  // namespace
}  // namespace ilp

int main(int argc, char** argv) {
  int writes = 2000, gap_ms = 2;  // gap: each write its own commit
  if ((argc > 1 && (!absl::SimpleAtoi(argv[1], &writes) || writes < 1)) ||
      (argc > 2 && (!absl::SimpleAtoi(argv[2], &gap_ms) || gap_ms < 0)) || argc > 3) {
    std::fprintf(stderr, "usage: watch_bench [WRITES (>= 1) [GAP_MS (>= 0)]]\n");
    return 2;
  }
  return ilp::Run(writes, gap_ms);
}
