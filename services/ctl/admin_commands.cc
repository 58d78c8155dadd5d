// status, tree, sync now, conflicts, quarantine, verify: operations over ilp.v1.Admin.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "services/ctl/commands.h"

namespace ilp::ctl {
namespace {

struct Args {
  std::string stale;  // tree --stale AGE
  bool wait = false;  // sync now --wait
  std::string since;  // conflicts --since AGE|TIME
  uint32_t limit = 1000;
  uint32_t quarantine_limit = 100;  // quarantine --limit
  bool deep = false;  // verify --deep
};

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

std::string Ago(int64_t age_ms) { return age_ms < 0 ? "never" : Age(age_ms) + " ago"; }

int Status(const Ctl& c, const Args&) {
  v1::NodeStatus st;
  grpc::Status s = v1::Admin::NewStub(c.channel)->GetStatus(c.Ctx().get(), v1::GetStatusRequest(), &st);
  if (!s.ok()) return Fail(s);
  bool failing = st.disk_full();
  for (const auto& p : st.peers()) failing |= p.last_error_age_ms() >= 0 || p.alarm_age_ms() >= 0;
  for (const auto& e : st.satusehat_exporters()) failing |= e.node_ids_size() > 1;
  if (c.json) {
    std::cout << Json(st) << "\n";
    return failing ? kUnhealthy : kOk;
  }
  std::vector<std::string> kinds;
  uint64_t total = 0;
  for (const auto& k : st.records()) {
    kinds.push_back(absl::StrCat(k.kind(), " ", k.count()));
    total += k.count();
  }
  std::printf("node     %s (%s), parent %s, up %s\n", st.node_id().c_str(),
              v1::Tier_Name(st.tier()).c_str(), OrDash(st.parent_id()).c_str(),
              Age(st.uptime_s() * 1000).c_str());
  std::printf("store    %s, change-log head %llu, %llu lost writes\n", Bytes(st.store_bytes()).c_str(),
              static_cast<unsigned long long>(st.head()),
              static_cast<unsigned long long>(st.lost_writes()));
  std::printf("records  %llu%s%s%s\n", static_cast<unsigned long long>(total),
              kinds.empty() ? "" : " (", absl::StrJoin(kinds, ", ").c_str(), kinds.empty() ? "" : ")");
  const v1::StoreMemory& mem = st.memory();
  std::printf("memory   %s resident (peak %s); store budget %s: memtables %s, block cache %s (with the memtables)\n",
              Bytes(mem.resident()).c_str(), Bytes(mem.peak_resident()).c_str(), Bytes(mem.budget()).c_str(),
              Bytes(mem.memtables()).c_str(), Bytes(mem.block_cache()).c_str());
  std::printf("disk     %s free, reserve %s, %llu writes refused%s\n",
              Bytes(st.disk_free_bytes()).c_str(), Bytes(st.disk_reserve_bytes()).c_str(),
              static_cast<unsigned long long>(st.writes_refused_disk()),
              st.disk_full() ? "; DISK FULL: writes refused, reads and sync of stored data go on" : "");
  for (const auto& e : st.satusehat_exporters()) {
    const bool twice = e.node_ids_size() > 1;
    std::printf("satusehat Organization %s exported by %s%s\n", e.org_ihs().c_str(),
                absl::StrJoin(e.node_ids(), ", ").c_str(),
                twice ? ": MORE THAN ONE EXPORTER; fix the configs (the node above yields to the one below)" : "");
  }
  for (const auto& b : st.bundles_awaiting_receipt()) {
    // Normal while a stick is on the road; the age says when to ask.
    std::printf("bundle   %s to %s, written %s, cursors (%llu, %llu], %llu changes: awaiting its receipt%s\n",
                b.bundle_id().substr(0, 8).c_str(), b.recipient().c_str(),
                Ago(std::max<int64_t>(0, st.now_ms() - b.created_ms())).c_str(),
                static_cast<unsigned long long>(b.from_cursor()),
                static_cast<unsigned long long>(b.to_cursor()), static_cast<unsigned long long>(b.changes()),
                b.acknowledged_to() > b.from_cursor()
                    ? absl::StrCat(" (held to ", b.acknowledged_to(), ")").c_str()
                    : "");
  }
  if (st.peers().empty()) return failing ? kUnhealthy : kOk;
  std::printf("\n%-18s %-6s %-30s %-20s %-11s %-7s %s\n", "PEER", "ROLE", "LAST SYNC", "PENDING",
              "OLDEST", "CURSORS", "LAST ERROR");
  for (const auto& p : st.peers()) {
    const v1::PeerState& ps = p.state();
    const std::string last =
        p.last_success_age_ms() < 0 ? "never"
                                    : absl::StrCat(Time(ps.last_success_ms()), " (", Age(p.last_success_age_ms()), ")");
    const std::string pending = absl::StrCat(p.pending_changes(), " (", Bytes(p.pending_bytes()), ")");
    const std::string oldest = p.pending_changes() ? Age(p.oldest_unsent_age_ms()) : "-";
    const std::string cursors = absl::StrCat(ps.sent_cursor(), "/", ps.received_cursor());
    const std::string err = p.last_error_age_ms() >= 0
                                ? absl::StrCat(Age(p.last_error_age_ms()), " ago: ", ps.last_error())
                                : "-";
    std::printf("%-18s %-6s %-30s %-20s %-11s %-7s %s\n", ps.node_id().c_str(), ps.role().c_str(),
                last.c_str(), pending.c_str(), oldest.c_str(), cursors.c_str(), err.c_str());
  }
  std::printf("\n(cursors: our change-log seq the peer acknowledged / the peer's seq we applied)\n");
  for (const auto& p : st.peers()) {
    if (p.alarm_age_ms() < 0) continue;
    std::printf("ALARM %s, %s ago: %s\n", p.state().node_id().c_str(), Age(p.alarm_age_ms()).c_str(),
                p.state().alarm().c_str());
  }
  return failing ? kUnhealthy : kOk;
}

int Tree(const Ctl& c, const Args& a) {
  std::optional<int64_t> stale;
  if (!a.stale.empty()) {
    stale = ParseAge(a.stale);
    if (!stale) {
      std::fprintf(stderr, "ilpctl: --stale %s: want an age such as 7d, 36h or 90m\n", a.stale.c_str());
      return kUsage;
    }
  }
  v1::GetTreeResponse tree;
  grpc::Status s = v1::Admin::NewStub(c.channel)->GetTree(c.Ctx().get(), v1::GetTreeRequest(), &tree);
  if (!s.ok()) return Fail(s);
  if (stale) {  // nodes below that have not contacted their parent within the age
    v1::GetTreeResponse kept;
    for (const auto& n : tree.nodes()) {
      if (n.depth() > 0 && (n.last_contact_age_ms() < 0 || n.last_contact_age_ms() > *stale)) {
        *kept.add_nodes() = n;
      }
    }
    tree = std::move(kept);
  }
  const int rc = stale && tree.nodes_size() > 0 ? kUnhealthy : kOk;
  if (c.json) {
    std::cout << Json(tree) << "\n";
    return rc;
  }
  if (stale && tree.nodes().empty()) {
    std::printf("no node below has gone more than %s without contacting its parent\n", Age(*stale).c_str());
    return rc;
  }
  std::printf("%-28s %-10s %-13s %-8s %-8s %-8s %s\n", "NODE", "TIER", "LAST CONTACT", "LAG",
              "PENDING", "RECORDS", "LAST ERROR");
  for (const auto& n : tree.nodes()) {
    const std::string name = std::string(stale ? 0 : 2 * n.depth(), ' ') + n.node_id();
    std::string tier = n.reported() ? v1::Tier_Name(n.tier()) : "?";
    const std::string contact = n.depth() == 0 && n.parent_id().empty() ? "-" : Ago(n.last_contact_age_ms());
    const std::string lag = n.reported() ? (n.lag_ms() > 0 ? Age(n.lag_ms()) : "0") : "?";
    const std::string err =
        n.last_error().empty() ? "-" : absl::StrCat(Age(n.last_error_age_ms()), " ago: ", n.last_error());
    std::printf("%-28s %-10s %-13s %-8s %-8llu %-8llu %s\n", name.c_str(), tier.c_str(), contact.c_str(),
                lag.c_str(), static_cast<unsigned long long>(n.pending_changes()),
                static_cast<unsigned long long>(n.records()), err.c_str());
  }
  return rc;
}

int SyncNow(const Ctl& c, const Args& a) {
  v1::SyncNowRequest req;
  req.set_wait(a.wait);
  v1::SyncNowResponse resp;
  // A session over a slow link can take minutes; --timeout still bounds it.
  grpc::Status s = v1::Admin::NewStub(c.channel)->SyncNow(
      c.Ctx(a.wait ? std::max(c.timeout_s, 600) : c.timeout_s).get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) {
    std::cout << Json(resp) << "\n";
  } else if (!resp.ok()) {
    std::printf("sync with %s failed after %lld ms: %s\n", resp.parent_id().c_str(),
                static_cast<long long>(resp.duration_ms()), resp.error().c_str());
  } else if (!a.wait) {
    std::printf("sync with %s started\n", resp.parent_id().c_str());
  } else {
    std::printf("sync with %s done in %lld ms: sent %llu changes (%s), received %llu changes (%s), %llu batches\n",
                resp.parent_id().c_str(), static_cast<long long>(resp.duration_ms()),
                static_cast<unsigned long long>(resp.sent_changes()), Bytes(resp.sent_bytes()).c_str(),
                static_cast<unsigned long long>(resp.received_changes()), Bytes(resp.received_bytes()).c_str(),
                static_cast<unsigned long long>(resp.batches()));
  }
  return resp.ok() ? kOk : kUnhealthy;
}

std::string Stamp(const v1::Stamp& s) {
  return absl::StrCat("by ", OrDash(s.node()), " at ", Time(s.wall_ms()), ".", absl::StrFormat("%03d", s.wall_ms() % 1000));
}

int Conflicts(const Ctl& c, const Args& a) {
  v1::ListConflictsRequest req;
  req.set_limit(a.limit);
  if (!a.since.empty()) {
    absl::Time t;
    std::string err;
    if (std::optional<int64_t> age = ParseAge(a.since)) {
      req.set_within_ms(*age);
    } else if (absl::ParseTime(absl::RFC3339_full, a.since, &t, &err) ||
               absl::ParseTime("%Y-%m-%d", a.since, absl::UTCTimeZone(), &t, &err)) {
      req.set_since_ms(absl::ToUnixMillis(t));
    } else {
      std::fprintf(stderr, "ilpctl: --since %s: want an age (7d, 24h) or a time (2026-11-01 or RFC 3339)\n",
                   a.since.c_str());
      return kUsage;
    }
  }
  v1::ListConflictsResponse resp;
  grpc::Status s = v1::Admin::NewStub(c.channel)->ListConflicts(c.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) {
    std::cout << Json(resp) << "\n";
    return kOk;
  }
  if (resp.conflicts().empty()) std::printf("no lost writes\n");
  for (const auto& w : resp.conflicts()) {
    std::printf("%s ago  record %s  field %s\n", Age(resp.now_ms() - w.detected_ms()).c_str(),
                w.record_id().c_str(), w.field().c_str());
    std::printf("    kept  %-30s %s\n", w.winning_value().c_str(), Stamp(w.winning_stamp()).c_str());
    std::printf("    lost  %-30s %s\n", w.losing_value().c_str(), Stamp(w.losing_stamp()).c_str());
  }
  if (resp.truncated()) std::printf("(only the newest %u shown; use --limit)\n", a.limit);
  return kOk;
}

int Quarantine(const Ctl& c, const Args& a) {
  v1::ListQuarantineRequest req;
  req.set_limit(a.quarantine_limit);
  v1::ListQuarantineResponse resp;
  grpc::Status s = v1::Admin::NewStub(c.channel)->ListQuarantine(c.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  const int rc = resp.total() > 0 ? kUnhealthy : kOk;
  if (c.json) {
    std::cout << Json(resp) << "\n";
    return rc;
  }
  if (resp.total() == 0) {
    std::printf("no deltas quarantined\n");
    return rc;
  }
  std::printf("%-18s %-38s %-18s %-8s %s\n", "FROM", "RECORD", "KIND", "AGE", "REASON");
  for (const auto& q : resp.deltas()) {
    std::printf("%-18s %-38s %-18s %-8s %s\n", q.from_node().c_str(), OrDash(q.record_id()).c_str(),
                OrDash(q.kind()).c_str(), Age(std::max<int64_t>(0, resp.now_ms() - q.detected_ms())).c_str(),
                q.reason().c_str());
  }
  if (static_cast<uint64_t>(resp.deltas_size()) < resp.total()) {
    std::printf("(newest %d of %llu shown; use --limit)\n", resp.deltas_size(),
                static_cast<unsigned long long>(resp.total()));
  }
  return rc;
}

int Verify(const Ctl& c, const Args& a) {
  v1::VerifyResponse resp;
  v1::VerifyRequest req;
  req.set_deep(a.deep);
  // Verification reads the whole store; give it time on a district node.
  grpc::Status s = v1::Admin::NewStub(c.channel)->Verify(c.Ctx(std::max(c.timeout_s, 600)).get(),
                                                        req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) {
    std::cout << Json(resp) << "\n";
  } else if (resp.ok()) {
    std::printf("ok: %srecords, change log (head %llu) and indexes agree (checked in %lld ms)\n",
                resp.deep() ? "every table block's checksum matches; " : "",
                static_cast<unsigned long long>(resp.head()), static_cast<long long>(resp.duration_ms()));
  } else {
    std::printf("DAMAGED: %s\n", resp.problems().c_str());
  }
  return resp.ok() ? kOk : kUnhealthy;
}

}  // namespace

void AddAdminCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto bind = [a, run](int (*fn)(const Ctl&, const Args&)) {
    return [a, run, fn] { *run = [a, fn](const Ctl& c) { return fn(c, *a); }; };
  };
  app->add_subcommand("status", "the node, its store, its disk, its SATUSEHAT exporters and each peer; exit 4 if a peer's last sync "
                   "failed, the disk is full or an Organization has two exporters")
      ->callback(bind(Status));
  auto* tree = app->add_subcommand("tree", "the hierarchy below the node, from relayed status reports");
  tree->add_option("--stale", a->stale,
                   "only nodes whose last contact with their parent is older than AGE (7d, 36h); exit 4 if any");
  tree->callback(bind(Tree));
  auto* sync = app->add_subcommand("sync", "replication on demand");
  sync->require_subcommand(1);
  auto* now = sync->add_subcommand("now", "start a session with the parent; exit 4 if it fails");
  now->add_flag("--wait", a->wait, "wait for the session to end and print what moved");
  now->callback(bind(SyncNow));
  auto* conflicts = app->add_subcommand("conflicts", "concurrent writes that lost the merge");
  conflicts->add_option("--since", a->since, "only those detected within AGE (24h, 7d) or since TIME");
  conflicts->add_option("--limit", a->limit, "at most this many, newest")->capture_default_str();
  conflicts->callback(bind(Conflicts));
  auto* quarantine = app->add_subcommand(
      "quarantine", "deltas refused from children, newest first, with the reason; exit 4 if any");
  quarantine->add_option("--limit", a->quarantine_limit, "at most this many")->capture_default_str();
  quarantine->callback(bind(Quarantine));
  auto* verify =
      app->add_subcommand("verify", "check records, change log and indexes agree; exit 4 on damage");
  verify->add_flag("--deep", a->deep, "also read every table block and check its checksum");
  verify->callback(bind(Verify));
}

}  // namespace ilp::ctl
