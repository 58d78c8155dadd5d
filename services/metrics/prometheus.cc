#include "services/metrics/prometheus.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace ilp {
namespace {

// Integral values print exactly (counters can pass a million); others with
// microsecond precision.
std::string Num(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return absl::StrCat(static_cast<int64_t>(v));
  return absl::StrFormat("%.6f", v);
}

std::string Label(const std::string& v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

class Writer {
 public:
  void Family(const char* name, const char* type, const char* help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void Sample(const std::string& name, const std::string& labels, double v) {
    absl::StrAppend(&out_, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                    Num(v), "\n");
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string RenderMetrics(const v1::NodeStatus& s, const LatencyHistogram::Snapshot& apply) {
  Writer w;
  const std::string node = absl::StrCat("node=\"", Label(s.node_id()), "\"");
  w.Family("ilp_up", "gauge", "1 while the node serves.");
  w.Sample("ilp_up", absl::StrCat(node, ",tier=\"", v1::Tier_Name(s.tier()), "\""), 1);
  w.Family("ilp_uptime_seconds", "gauge", "Seconds since the node started.");
  w.Sample("ilp_uptime_seconds", node, static_cast<double>(s.uptime_s()));
  w.Family("ilp_store_bytes", "gauge", "Approximate bytes of the store (SST files and memtables).");
  w.Sample("ilp_store_bytes", node, static_cast<double>(s.store_bytes()));
  w.Family("ilp_changelog_head", "gauge", "Sequence number of the newest change-log entry.");
  w.Sample("ilp_changelog_head", node, static_cast<double>(s.head()));
  w.Family("ilp_records", "gauge", "Records stored, by kind.");
  for (const auto& k : s.records()) {
    w.Sample("ilp_records", absl::StrCat(node, ",kind=\"", Label(k.kind()), "\""),
             static_cast<double>(k.count()));
  }
  w.Family("ilp_lost_writes_total", "counter", "Concurrent writes that lost the merge here.");
  w.Sample("ilp_lost_writes_total", node, static_cast<double>(s.lost_writes()));
  w.Family("ilp_quarantined_deltas", "gauge",
           "Deltas refused from children and kept in quarantine (ilpctl quarantine).");
  w.Sample("ilp_quarantined_deltas", node, static_cast<double>(s.quarantined_deltas()));
  w.Family("ilp_disk_free_bytes", "gauge", "Free bytes on the data dir's filesystem.");
  w.Sample("ilp_disk_free_bytes", node, static_cast<double>(s.disk_free_bytes()));
  w.Family("ilp_disk_reserve_bytes", "gauge",
           "Free space kept (min_free_disk_mb); writes are refused below it.");
  w.Sample("ilp_disk_reserve_bytes", node, static_cast<double>(s.disk_reserve_bytes()));
  w.Family("ilp_writes_refused_total", "counter", "Writes refused, by reason.");
  w.Sample("ilp_writes_refused_total", absl::StrCat(node, ",reason=\"disk\""),
           static_cast<double>(s.writes_refused_disk()));

  struct PeerMetric {
    const char* name;
    const char* type;
    const char* help;
    std::function<double(const v1::PeerStatus&)> value;
  };
  const PeerMetric peer_metrics[] = {
      {"ilp_sync_sessions_total", "counter", "Completed sync sessions with the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().sessions()); }},
      {"ilp_sync_errors_total", "counter", "Failed sync sessions or attempts with the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().errors()); }},
      {"ilp_sync_sent_bytes_total", "counter", "Session bytes sent to the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().bytes_sent()); }},
      {"ilp_sync_received_bytes_total", "counter", "Session bytes received from the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().bytes_received()); }},
      {"ilp_sync_sent_records_total", "counter", "Changes sent to the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().changes_sent()); }},
      {"ilp_sync_received_records_total", "counter", "Changes received from the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().changes_received()); }},
      {"ilp_sync_pending_changes", "gauge",
       "Changes not yet acknowledged by the peer (for a child: before scope filtering).",
       [](const v1::PeerStatus& p) { return double(p.pending_changes()); }},
      {"ilp_sync_pending_bytes", "gauge", "Serialized bytes of the pending changes.",
       [](const v1::PeerStatus& p) { return double(p.pending_bytes()); }},
      {"ilp_sync_oldest_unsent_age_seconds", "gauge", "Age of the oldest pending change; 0 if none.",
       [](const v1::PeerStatus& p) { return p.oldest_unsent_age_ms() / 1000.0; }},
      {"ilp_sync_last_success_age_seconds", "gauge",
       "Seconds since the last completed session; -1 if never.",
       [](const v1::PeerStatus& p) {
         return p.last_success_age_ms() < 0 ? -1.0 : p.last_success_age_ms() / 1000.0;
       }},
  };
  for (const PeerMetric& m : peer_metrics) {
    w.Family(m.name, m.type, m.help);
    for (const auto& p : s.peers()) {
      w.Sample(m.name,
               absl::StrCat(node, ",peer=\"", Label(p.state().node_id()), "\",role=\"",
                            Label(p.state().role()), "\""),
               m.value(p));
    }
  }

  w.Family("ilp_apply_duration_seconds", "histogram",
           "Time to apply a batch of changes that wrote something (merge, indexes, fsync).");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
    cumulative += apply.buckets[i];
    w.Sample("ilp_apply_duration_seconds_bucket",
             absl::StrCat(node, ",le=\"", LatencyHistogram::kBounds[i], "\""), double(cumulative));
  }
  cumulative += apply.buckets.back();
  w.Sample("ilp_apply_duration_seconds_bucket", absl::StrCat(node, ",le=\"+Inf\""), double(cumulative));
  w.Sample("ilp_apply_duration_seconds_sum", node, apply.sum_seconds);
  w.Sample("ilp_apply_duration_seconds_count", node, double(apply.count));
  return w.Take();
}

}  // namespace ilp
