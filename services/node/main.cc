// ilp-node: the ILP tier node daemon.
//
//   ilp-node --config /etc/ilp/node.textproto
//
// Exits 0 after a clean SIGTERM/SIGINT shutdown; 2 on a bad command line or
// config (one line on stderr naming the field); 1 when the node cannot start.
#include <malloc.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <fstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "services/backup/backup.h"
#include "services/node/config.h"
#include "services/node/malloc_trimmer.h"
#include "services/node/node.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "storage/clock/clock.h"
#include "storage/util/random.h"

int main(int argc, char** argv) {
  // glibc gives each thread that allocates an arena of its own, up to 8 per
  // core; gRPC's and RocksDB's threads then hold freed memory in many arenas.
  // Two arenas keep a posyandu's peak RSS lower (docs/performance.md, Memory).
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{"ilp-node: ILP integrated primary care sync node"};
  std::string config_path, restore_dir;
  app.add_option("--config", config_path, "node config file (textproto, or .json)")->required();
  app.add_option("--restore", restore_dir,
                 "restore the backup in DIR (from `ilpctl backup`) into the config's empty data_dir, then exit");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("ilp-node"));  // stdout stays clean

  absl::StatusOr<ilp::v1::NodeConfig> cfg = ilp::LoadNodeConfig(config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "ilp-node: %s\n", std::string(cfg.status().message()).c_str());
    return 2;
  }
  if (!restore_dir.empty()) {
    // A new incarnation: the parent and children see a different store and
    // resend what it lacks (docs/replication.md).
    std::unique_ptr<ilp::Random> random = ilp::NewSystemRandom();
    const std::string inc = absl::StrCat(absl::Hex(random->Next64(), absl::kZeroPad16));
    absl::StatusOr<ilp::v1::BackupManifest> m = ilp::RestoreBackup(restore_dir, cfg->data_dir(), cfg->node_id(), inc);
    if (!m.ok()) {
      std::fprintf(stderr, "ilp-node: --restore %s: %s\n", restore_dir.c_str(), std::string(m.status().message()).c_str());
      return 1;
    }
    spdlog::info("restored the backup of {} (head {}) into {} as incarnation {}; start the node to catch up",
                 m->node_id(), m->head(), cfg->data_dir(), inc);
    return 0;
  }
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  // What the threads free inside a heap goes back to the kernel once 8 MiB
  // more of it is resident than the last trim left (services/node/malloc_trimmer.h).
  // Started after the mask, so its thread blocks the stop signals too.
  ilp::MallocTrimmer trimmer(8 << 20);
  trimmer.Start(absl::Seconds(1));

  ilp::SystemClock clock;
  std::unique_ptr<ilp::Random> random = ilp::NewSystemRandom();
  absl::StatusOr<std::unique_ptr<ilp::Node>> node = ilp::Node::Start(*cfg, &clock, random.get());
  if (!node.ok()) {
    std::fprintf(stderr, "ilp-node: %s\n", std::string(node.status().message()).c_str());
    return 1;
  }
  spdlog::info("node {} ({}) serving on {}, data in {}", cfg->node_id(),
               ilp::v1::Tier_Name(cfg->tier()), (*node)->address(), cfg->data_dir());
  std::string metrics;
  if ((*node)->metrics_port() != 0) {
    const std::string& ml = cfg->metrics_listen();
    metrics = ml.substr(0, ml.rfind(':')) + ":" + std::to_string((*node)->metrics_port());
    spdlog::info("metrics on http://{}/metrics", metrics);
  }
  if (!cfg->ready_file().empty()) {
    // Line 1: the gRPC address; line 2 (if enabled): the metrics address.
    const std::string tmp = cfg->ready_file() + ".tmp";
    {
      std::ofstream f(tmp);
      f << (*node)->address() << "\n";
      if (!metrics.empty()) f << metrics << "\n";
    }
    std::rename(tmp.c_str(), cfg->ready_file().c_str());
  }
  // Under systemd (Type=notify) the unit counts as started only now; without
  // NOTIFY_SOCKET this does nothing.
  sd_notify(0, "READY=1");
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("signal {}: shutting down", sig);
  sd_notify(0, "STOPPING=1");
  (*node)->Shutdown();
  (*node)->Wait();
  node->reset();
  trimmer.Stop();
  spdlog::info("stopped cleanly");
  return 0;
}
