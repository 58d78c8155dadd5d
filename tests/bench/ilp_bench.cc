// ilp-bench: how fast, how lean and how much on the wire (docs/performance.md).
//
//   ilp-bench --n 100000            # the 4-tier chain, then the baselines
//   ilp-bench --slow-link 60        # a posyandu session of 60 visitors over 2G
//   ilp-bench --status-backlog 1000000  # status with 1M changes pending (status_bench.cc)
//   ilp-bench --write-only --writers 4  # acknowledged visits/s and their latency only
//   ilp-bench --n 100000 --client-ids   # ids made by the app (random UUIDv7), not the node
//
// Starts posyandu -> pustu -> puskesmas -> district as real ilp-node
// processes on loopback, each link through a counting proxy, writes N visits
// at the posyandu over gRPC, then drives sync sessions on every hop at once
// until the district holds all N. Prints a table, then one JSON line.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <filesystem>
#include <map>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "tests/bench/baselines.h"
#include "tests/bench/chain.h"
#include "tests/bench/memory_sampler.h"
#include "tests/bench/status_bench.h"
#include "tests/bench/store_size.h"
#include "tests/bench/visits.h"

namespace ilp::bench {
namespace {

constexpr int64_t kDayMs = 86'400'000;

struct Options {
  uint64_t n = 10'000;
  uint64_t slow_link_visits = 0;
  uint64_t status_backlog = 0;
  bool plaintext = false;
  int writers = 4;
  uint64_t seed = 1;
  std::string work_dir;
  bool keep = false;
  bool write_only = false;
  bool client_ids = false;
  uint32_t district_memory_mib = 0;  // 0: the tier's default
};

// The visits phase of WriteVisits: acknowledged RecordEncounter calls (each
// fsynced before its answer) per second, and their latencies.
struct VisitTiming {
  double seconds = 0;
  std::vector<double> latency_ms;  // sorted
  double Quantile(double q) const {
    if (latency_ms.empty()) return 0;
    return latency_ms[std::min(latency_ms.size() - 1, static_cast<size_t>(q * latency_ms.size()))];
  }
};

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// Creates `patients` patients and `n` visits at the posyandu from `writers`
// threads. Returns false on the first failed call.
bool WriteVisits(Chain& chain, const Options& o, uint64_t n, uint64_t patients, VisitTiming* timing = nullptr) {
  std::vector<std::string> ids(patients);
  std::atomic<bool> ok{true};
  SeededRandom random(o.seed);
  auto run = [&](auto fn, uint64_t count) {
    std::atomic<uint64_t> next{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < o.writers; ++w) {
      threads.emplace_back([&] {
        for (uint64_t i; ok && (i = next++) < count;) fn(i);
      });
    }
    for (auto& t : threads) t.join();
  };
  run([&](uint64_t i) {
    grpc::ClientContext ctx;
    v1::Patient p;
    v1::CreatePatientRequest req = MakePatient(o.seed, i);
    if (o.client_ids) GiveClientIds(absl::ToUnixMillis(absl::Now()), &random, &req);
    grpc::Status s = chain.records(kPosyandu)->CreatePatient(&ctx, req, &p);
    if (!s.ok()) {
      std::fprintf(stderr, "ilp-bench: CreatePatient: %s\n", s.error_message().c_str());
      ok = false;
    }
    ids[i] = p.id();
  }, patients);
  const int64_t now = absl::ToUnixMillis(absl::Now());
  std::mutex latency_mu;
  std::vector<double> latency_ms;
  latency_ms.reserve(n);
  const absl::Time v0 = absl::Now();
  run([&](uint64_t i) {
    grpc::ClientContext ctx;
    v1::RecordEncounterResponse r;
    // Visits of the last 30 days.
    const int64_t t = now - 30 * kDayMs + static_cast<int64_t>(i * (30 * kDayMs) / std::max<uint64_t>(n, 1));
    v1::RecordEncounterRequest req = MakeVisit(o.seed, i, ids[i % patients], t);
    if (o.client_ids) GiveClientIds(absl::ToUnixMillis(absl::Now()), &random, &req);
    const absl::Time c0 = absl::Now();
    grpc::Status s = chain.records(kPosyandu)->RecordEncounter(&ctx, req, &r);
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - c0);
    if (!s.ok()) {
      std::fprintf(stderr, "ilp-bench: RecordEncounter: %s\n", s.error_message().c_str());
      ok = false;
    }
    std::lock_guard<std::mutex> l(latency_mu);
    latency_ms.push_back(ms);
  }, n);
  if (timing != nullptr) {
    timing->seconds = Seconds(absl::Now() - v0);
    std::sort(latency_ms.begin(), latency_ms.end());
    timing->latency_ms = std::move(latency_ms);
  }
  return ok;
}

uint64_t Count(Chain& chain, int tier, const char* kind) {
  grpc::ClientContext ctx;
  v1::NodeStatus st;
  if (!chain.admin(tier)->GetStatus(&ctx, v1::GetStatusRequest(), &st).ok()) return 0;
  for (const auto& k : st.records()) {
    if (k.kind() == kind) return k.count();
  }
  return 0;
}

v1::SyncNowResponse SyncNow(Chain& chain, int tier) {
  grpc::ClientContext ctx;
  v1::SyncNowRequest req;
  req.set_wait(true);
  v1::SyncNowResponse resp;
  grpc::Status s = chain.admin(tier)->SyncNow(&ctx, req, &resp);
  if (!s.ok()) resp.set_error(s.error_message());
  return resp;
}

uint64_t LinkBytes(Chain& chain, int tier) { return chain.link(tier)->bytes_up() + chain.link(tier)->bytes_down(); }

int RunChain(const Options& o) {
  const uint64_t n = o.n, patients = std::max<uint64_t>(10, n / 20);
  Chain chain(o.work_dir + "/chain", LinkShape{}, o.plaintext);
  chain.set_store_memory_mib(kDistrict, o.district_memory_mib);
  if (!chain.Start()) return 1;
  MemorySampler memory(&chain, absl::Milliseconds(250));
  std::printf("chain up in %s; writing %llu visits for %llu patients at the posyandu (%d writers, ids by the %s)...\n",
              o.work_dir.c_str(), static_cast<unsigned long long>(n), static_cast<unsigned long long>(patients), o.writers,
              o.client_ids ? "app" : "node");
  const absl::Time w0 = absl::Now();
  VisitTiming visits;
  if (!WriteVisits(chain, o, n, patients, &visits)) return 1;
  const double write_s = Seconds(absl::Now() - w0);
  std::printf("%-44s %.0f (%d writers; RecordEncounter p50 %.2f ms, p99 %.2f ms)\n",
              "acknowledged visits per second", n / visits.seconds, o.writers, visits.Quantile(0.5),
              visits.Quantile(0.99));
  if (o.write_only) return 0;
  const uint64_t observations = Count(chain, kPosyandu, "observation");
  for (int t = 0; t < 3; ++t) chain.link(t)->ResetCounters();

  // End to end: every hop syncs back to back until the district holds all.
  std::printf("written in %.1f s; syncing...\n", write_s);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  // Why sessions failed, by hop and message (digits dropped, so one cause
  // is one line): a failed session is retried by the driver, but each is
  // worth a reason in the report.
  std::mutex why_mu;
  std::map<std::string, int> why;
  const absl::Time e0 = absl::Now();
  std::vector<std::thread> drivers;
  for (int t = 0; t < 3; ++t) {
    drivers.emplace_back([&, t] {
      while (!done) {
        v1::SyncNowResponse r = SyncNow(chain, t);
        if (r.ok()) continue;
        ++failures;
        std::string cause = r.error().substr(0, 160);
        cause.erase(std::remove_if(cause.begin(), cause.end(), [](char c) { return c >= '0' && c <= '9'; }),
                    cause.end());
        std::lock_guard<std::mutex> l(why_mu);
        ++why[absl::StrCat("hop ", t, ": ", cause)];
      }
    });
  }
  while (Count(chain, kDistrict, "encounter") < n || Count(chain, kDistrict, "observation") < observations) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const double e2e_s = Seconds(absl::Now() - e0);
  done = true;
  for (auto& t : drivers) t.join();
  uint64_t wire = 0;
  for (int t = 0; t < 3; ++t) wire += LinkBytes(chain, t);

  // Idle re-sync, hop by hop, with everything stored.
  std::vector<uint64_t> idle_bytes;
  std::vector<double> idle_ms;
  for (int t = 0; t < 3; ++t) {
    chain.link(t)->ResetCounters();
    const absl::Time i0 = absl::Now();
    v1::SyncNowResponse r = SyncNow(chain, t);
    idle_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - i0));
    idle_bytes.push_back(LinkBytes(chain, t));
    if (!r.ok() || r.sent_changes() + r.received_changes() != 0) {
      std::fprintf(stderr, "ilp-bench: idle session at %s was not idle: %s\n", kTierNames[t], r.DebugString().c_str());
    }
  }
  std::array<double, 4> rss{};
  for (int t = 0; t < 4; ++t) rss[t] = chain.PeakRssMib(t);
  memory.Stop();
  for (int t = 0; t < 4; ++t) chain.Stop(t);

  std::printf("baselines: zstd of the visits, re-applying the posyandu's log, the same key-values raw...\n");
  const VisitSizes sizes = MeasureVisitSizes(o.seed, n, patients);
  auto apply = ApplyRateFrom(chain.data_dir(kPosyandu), o.work_dir + "/apply", n);
  if (!apply.ok()) {
    std::fprintf(stderr, "ilp-bench: apply baseline failed: %s\n", apply.status().ToString().c_str());
    return 1;
  }
  auto raw = SameKvRawRate(o.work_dir + "/apply", *apply, o.work_dir + "/raw");
  if (!raw.ok()) {
    std::fprintf(stderr, "ilp-bench: raw baseline failed: %s\n", raw.status().ToString().c_str());
    return 1;
  }
  // Disk: each tier's store compacted, SST bytes per visit, by column family.
  std::printf("compacting each tier's store...\n");
  std::array<double, 4> disk{};
  std::array<std::string, 4> disk_by_cf;
  for (int t = 0; t < 4; ++t) {
    auto sst = CompactedSstBytes(chain.data_dir(t));
    if (!sst.ok()) {
      std::fprintf(stderr, "ilp-bench: %s\n", sst.status().ToString().c_str());
      return 1;
    }
    for (const auto& [cf, bytes] : *sst) {
      disk[t] += static_cast<double>(bytes) / n;
      if (bytes > 0) absl::StrAppendFormat(&disk_by_cf[t], " %s %.1f", cf, static_cast<double>(bytes) / n);
    }
  }
  const double idle_bytes_mean = (idle_bytes[0] + idle_bytes[1] + idle_bytes[2]) / 3.0;
  const double idle_ms_mean = (idle_ms[0] + idle_ms[1] + idle_ms[2]) / 3.0;
  const double wire_per_visit = static_cast<double>(wire) / n;
  // The baseline a hop is held to: the visits' records (ids, stamps and all) zstd-compressed.
  const double zstd_per_visit = static_cast<double>(apply->record_zstd_bytes) / n;
  const double request_zstd_per_visit = static_cast<double>(sizes.zstd_bytes) / n;

  std::printf("\n%-44s %s\n", "visits (N)", absl::StrCat(n).c_str());
  std::printf("%-44s %.1f (%.0f visits/s, %llu observations)\n", "posyandu write time, s", write_s, n / write_s,
              static_cast<unsigned long long>(observations));
  std::printf("%-44s %.2f\n", "end to end, posyandu -> district, s", e2e_s);
  std::printf("%-44s %.0f\n", "visits per second, end to end", n / e2e_s);
  std::printf("%-44s %.1f (%.1f per hop; %d failed sessions)\n", "wire bytes per visit, 3 hops, both ways",
              wire_per_visit, wire_per_visit / 3, failures.load());
  for (const auto& [cause, count] : why) std::printf("  failed sessions: %d x %s\n", count, cause.c_str());
  std::printf("%-44s %.1f (protobuf %.1f)\n", "zstd bytes per visit, records as stored", zstd_per_visit,
              static_cast<double>(apply->record_bytes) / n);
  std::printf("%-44s %.1f\n", "zstd bytes per visit, records in columns",
              static_cast<double>(apply->record_columnar_zstd_bytes) / n);
  std::printf("%-44s %.1f (protobuf %.1f)\n", "zstd bytes per visit, API requests (no ids)",
              request_zstd_per_visit, static_cast<double>(sizes.proto_bytes) / n);
  std::printf("%-44s %.2f\n", "wire per hop / zstd", wire_per_visit / 3 / zstd_per_visit);
  std::printf("%-44s %llu / %llu / %llu bytes, %.1f / %.1f / %.1f ms\n", "idle re-sync per hop (pos, pustu, pkm)",
              static_cast<unsigned long long>(idle_bytes[0]), static_cast<unsigned long long>(idle_bytes[1]),
              static_cast<unsigned long long>(idle_bytes[2]), idle_ms[0], idle_ms[1], idle_ms[2]);
  std::printf("%-44s %.0f changes/s\n", "raw RocksDB, Apply's key-values and batches", *raw);
  std::printf("%-44s %.0f visits/s (%.0f changes/s)\n", "apply at a tier (batches of ~1,000 visits)",
              apply->visits_per_s, apply->changes_per_s);
  std::printf("%-44s %.3f\n", "apply / same key-values raw", apply->changes_per_s / *raw);
  std::printf("%-44s %.1f / %.1f / %.1f / %.1f\n", "peak RSS MiB (pos, pustu, pkm, district)", rss[0], rss[1],
              rss[2], rss[3]);
  for (int t = 0; t < 4; ++t) {
    std::printf("%-44s %s\n", absl::StrCat("memory MiB, sampled, ", kTierNames[t]).c_str(),
                memory.Describe(t).c_str());
  }
  for (int t = 0; t < 4; ++t) {
    std::printf("%-44s %.1f (%s)\n", absl::StrCat("store bytes per visit, compacted, ", kTierNames[t]).c_str(),
                disk[t], disk_by_cf[t].c_str() + 1);
  }

  std::printf(
      "{\"n\":%llu,\"e2e_seconds\":%.3f,\"records_per_s\":%.1f,\"write_seconds\":%.3f,"
      "\"wire_bytes_per_visit\":%.1f,\"wire_bytes_per_visit_per_hop\":%.1f,\"zstd_bytes_per_visit\":%.1f,"
      "\"columnar_zstd_bytes_per_visit\":%.1f,"
      "\"record_bytes_per_visit\":%.1f,\"request_zstd_bytes_per_visit\":%.1f,"
      "\"request_bytes_per_visit\":%.1f,\"wire_per_hop_vs_zstd\":%.3f,"
      "\"idle_resync_bytes_per_hop\":%.1f,\"idle_resync_ms_per_hop\":%.2f,"
      "\"idle_resync_bytes\":[%llu,%llu,%llu],\"same_kv_raw_changes_per_s\":%.1f,"
      "\"apply_records_per_s\":%.1f,\"apply_changes_per_s\":%.1f,\"apply_vs_same_kv_raw\":%.4f,"
      "\"peak_rss_mib\":{\"posyandu\":%.1f,\"pustu\":%.1f,\"puskesmas\":%.1f,\"district\":%.1f},"
      "\"store_bytes_per_visit\":{\"posyandu\":%.1f,\"pustu\":%.1f,\"puskesmas\":%.1f,\"district\":%.1f},"
      "\"failed_sessions\":%d}\n",
      static_cast<unsigned long long>(n), e2e_s, n / e2e_s, write_s, wire_per_visit, wire_per_visit / 3,
      zstd_per_visit, static_cast<double>(apply->record_columnar_zstd_bytes) / n,
      static_cast<double>(apply->record_bytes) / n, request_zstd_per_visit,
      static_cast<double>(sizes.proto_bytes) / n, wire_per_visit / 3 / zstd_per_visit,
      idle_bytes_mean, idle_ms_mean, static_cast<unsigned long long>(idle_bytes[0]),
      static_cast<unsigned long long>(idle_bytes[1]), static_cast<unsigned long long>(idle_bytes[2]), *raw,
      apply->visits_per_s, apply->changes_per_s, apply->changes_per_s / *raw, rss[0], rss[1], rss[2], rss[3],
      disk[0], disk[1], disk[2], disk[3], failures.load());
  return 0;
}

// Sessions the posyandu completed with its parent; -1 if its status is unreadable.
int64_t ParentSessions(Chain& chain) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeStatus st;
  if (!chain.admin(kPosyandu)->GetStatus(&ctx, v1::GetStatusRequest(), &st).ok()) return -1;
  for (const auto& p : st.peers()) {
    if (p.state().role() == "parent") return static_cast<int64_t>(p.state().sessions());
  }
  return 0;
}

int RunSlowLink(const Options& o) {
  // 2G between posyandu and pustu: 64 kbit/s, 600 ms round trip.
  Chain chain(o.work_dir + "/slow", LinkShape{64'000, absl::Milliseconds(300)}, o.plaintext);
  if (!chain.Start()) return 1;
  // An idle session on the open connection (the node's first session at start opened it).
  (void)SyncNow(chain, kPosyandu);
  chain.link(kPosyandu)->ResetCounters();
  absl::Time t0 = absl::Now();
  v1::SyncNowResponse idle = SyncNow(chain, kPosyandu);
  const double idle_s = Seconds(absl::Now() - t0);
  const uint64_t idle_turns = chain.link(kPosyandu)->turns();
  const uint64_t idle_bytes = LinkBytes(chain, kPosyandu);
  // A posyandu day: 60 visitors, each registered and seen once.
  Options day = o;
  day.writers = 1;
  if (!WriteVisits(chain, day, o.slow_link_visits, o.slow_link_visits)) return 1;
  chain.link(kPosyandu)->ResetCounters();
  t0 = absl::Now();
  v1::SyncNowResponse r = SyncNow(chain, kPosyandu);
  const double session_s = Seconds(absl::Now() - t0);
  const uint64_t bytes = LinkBytes(chain, kPosyandu);
  const uint64_t turns = chain.link(kPosyandu)->turns();
  if (!r.ok()) {
    std::fprintf(stderr, "ilp-bench: slow-link session failed: %s\n", r.error().c_str());
    return 1;
  }
  // A reconnect: the posyandu restarts (a new TCP connection and TLS
  // handshake), and its first session runs at once and finds nothing to move.
  const int64_t sessions_before = ParentSessions(chain);
  chain.link(kPosyandu)->ResetCounters();
  t0 = absl::Now();
  if (!chain.Restart(kPosyandu)) return 1;
  while (ParentSessions(chain) <= sessions_before) {
    if (absl::Now() - t0 > absl::Seconds(60)) {
      std::fprintf(stderr, "ilp-bench: no session after the posyandu restarted\n");
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  const double reconnect_s = Seconds(absl::Now() - t0);
  const uint64_t reconnect_bytes = LinkBytes(chain, kPosyandu);
  // The link drops under a running node: its channel reconnects (TLS 1.3
  // session resumption, where the handshake allows it) for the next session.
  chain.link(kPosyandu)->CutConnections();
  absl::SleepFor(absl::Milliseconds(200));  // the node notices the dead connection
  chain.link(kPosyandu)->ResetCounters();
  t0 = absl::Now();
  const bool relinked = SyncNow(chain, kPosyandu).ok() || SyncNow(chain, kPosyandu).ok();
  const double relink_s = Seconds(absl::Now() - t0);
  const uint64_t relink_bytes = LinkBytes(chain, kPosyandu);
  // Round trips of the protocol: Hello/Welcome, then one per batch (each waits for its ack).
  const uint64_t protocol_rtts = 1 + r.batches();
  std::printf("\nslow link (64 kbit/s, 600 ms RTT) posyandu -> pustu\n");
  std::printf("%-44s %.2f s, %llu bytes, %.1f round trips on the wire\n", "idle session", idle_s,
              static_cast<unsigned long long>(idle_bytes), idle_turns / 2.0);
  std::printf("%-44s %.2f s\n", absl::StrCat("session with ", o.slow_link_visits, " visitors").c_str(), session_s);
  std::printf("%-44s %llu changes, %llu bytes on the wire\n", "moved", static_cast<unsigned long long>(r.sent_changes()),
              static_cast<unsigned long long>(bytes));
  std::printf("%-44s %llu by the protocol, %.1f seen on the wire (turns / 2)\n", "round trips",
              static_cast<unsigned long long>(protocol_rtts), turns / 2.0);
  std::printf("%-44s %llu bytes (connect, %s handshake, idle session), %.2f s incl. restart\n",
              "reconnect", static_cast<unsigned long long>(reconnect_bytes),
              o.plaintext ? "no" : "TLS", reconnect_s);
  std::printf("%-44s %llu bytes, %.2f s%s\n", "reconnect after the link dropped",
              static_cast<unsigned long long>(relink_bytes), relink_s, relinked ? "" : " (FAILED)");
  std::printf(
      "{\"slow_link_visits\":%llu,\"slow_link_session_s\":%.3f,\"slow_link_bytes\":%llu,"
      "\"slow_link_changes\":%llu,\"slow_link_round_trips\":%llu,\"slow_link_wire_turns\":%llu,"
      "\"slow_link_idle_session_s\":%.3f,\"slow_link_idle_bytes\":%llu,\"slow_link_idle_ok\":%s,"
      "\"slow_link_reconnect_bytes\":%llu,\"slow_link_relink_bytes\":%llu,\"plaintext\":%s}\n",
      static_cast<unsigned long long>(o.slow_link_visits), session_s, static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(r.sent_changes()), static_cast<unsigned long long>(protocol_rtts),
      static_cast<unsigned long long>(turns), idle_s, static_cast<unsigned long long>(idle_bytes),
      idle.ok() ? "true" : "false", static_cast<unsigned long long>(reconnect_bytes),
      static_cast<unsigned long long>(relink_bytes),
      o.plaintext ? "true" : "false");
  return 0;
}

}  // namespace
}  // namespace ilp::bench

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines show up when piped
  ilp::bench::Options o;
  CLI::App app{"ilp-bench: throughput, wire bytes and memory of a 4-tier chain on loopback"};
  app.add_option("--n", o.n, "visits to write at the posyandu")->capture_default_str();
  app.add_option("--slow-link", o.slow_link_visits,
                 "instead: one posyandu session of this many visitors over a 64 kbit/s, 600 ms RTT link");
  app.add_option("--status-backlog", o.status_backlog,
                 "instead: time status and a metrics scrape with this many changes pending for the parent");
  app.add_option("--writers", o.writers, "concurrent gRPC writers at the posyandu")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the generated visits")->capture_default_str();
  app.add_option("--work-dir", o.work_dir, "where the stores go (default: a new dir under /tmp)");
  app.add_flag("--keep", o.keep, "keep the work dir");
  app.add_option("--district-memory-mib", o.district_memory_mib,
                 "the district's store_memory_mib (default: its tier's, 256)");
  app.add_flag("--write-only", o.write_only,
               "only the posyandu's writes: acknowledged visits/s and RecordEncounter latency");
  app.add_flag("--client-ids", o.client_ids,
               "the app makes random UUIDv7 ids for patients, encounters and observations "
               "(otherwise the node makes them)");
  app.add_flag("--plaintext", o.plaintext, "nodes without TLS (insecure: true), to measure TLS's cost");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  bool made = false;
  if (o.work_dir.empty()) {
    char tmpl[] = "/tmp/ilp-bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 1;
    o.work_dir = tmpl;
    made = true;
  }
  const int rc = o.status_backlog > 0    ? ilp::bench::RunStatusBacklog(o.status_backlog, o.work_dir)
                 : o.slow_link_visits > 0 ? ilp::bench::RunSlowLink(o)
                                          : ilp::bench::RunChain(o);
  if (made && !o.keep) std::filesystem::remove_all(o.work_dir);
  return rc;
}
