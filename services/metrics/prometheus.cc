#include "services/metrics/prometheus.h"

#include <functional>
#include <limits>
#include <sstream>

#include "prometheus/text_serializer.h"

namespace ilp {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Builds the families in order; samples go to the family added last.
class Writer {
 public:
  void Family(const char* name, MetricType type, const char* help) {
    out_.push_back(MetricFamily{name, help, type, {}});
  }
  void Sample(Labels labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    switch (out_.back().type) {
      case MetricType::Counter: m.counter.value = v; break;
      default: m.gauge.value = v; break;
    }
    out_.back().metric.push_back(std::move(m));
  }
  void Histogram(Labels labels, ClientMetric::Histogram h) {
    ClientMetric m;
    m.label = std::move(labels);
    m.histogram = std::move(h);
    out_.back().metric.push_back(std::move(m));
  }
  std::vector<MetricFamily> Take() { return std::move(out_); }

 private:
  std::vector<MetricFamily> out_;
};

Labels With(Labels base, std::initializer_list<ClientMetric::Label> more) {
  base.insert(base.end(), more);
  return base;
}

}  // namespace

std::vector<prometheus::MetricFamily> MetricFamilies(const v1::NodeStatus& s,
                                                     const LatencyHistogram::Snapshot& apply) {
  Writer w;
  const Labels node = {{"node", s.node_id()}};
  w.Family("ilp_up", MetricType::Gauge, "1 while the node serves.");
  w.Sample(With(node, {{"tier", v1::Tier_Name(s.tier())}}), 1);
  w.Family("ilp_uptime_seconds", MetricType::Gauge, "Seconds since the node started.");
  w.Sample(node, static_cast<double>(s.uptime_s()));
  w.Family("ilp_store_bytes", MetricType::Gauge, "Approximate bytes of the store (SST files and memtables).");
  w.Sample(node, static_cast<double>(s.store_bytes()));
  w.Family("ilp_store_memory_bytes", MetricType::Gauge,
           "The store's memory budget and what RocksDB holds: memtables, block cache (charged with the "
           "memtables), its pinned part, table readers.");
  const v1::StoreMemory& mem = s.memory();
  for (const auto& [part, v] : {std::pair<const char*, uint64_t>{"budget", mem.budget()},
                                {"memtables", mem.memtables()},
                                {"block_cache", mem.block_cache()},
                                {"block_cache_pinned", mem.block_cache_pinned()},
                                {"table_readers", mem.table_readers()}}) {
    w.Sample(With(node, {{"part", part}}), static_cast<double>(v));
  }
  w.Family("process_resident_memory_bytes", MetricType::Gauge, "Resident memory of the process (VmRSS).");
  w.Sample(node, static_cast<double>(mem.resident()));
  w.Family("ilp_process_peak_resident_memory_bytes", MetricType::Gauge,
           "Peak resident memory of the process since it started (VmHWM).");
  w.Sample(node, static_cast<double>(mem.peak_resident()));
  w.Family("ilp_changelog_head", MetricType::Gauge, "Sequence number of the newest change-log entry.");
  w.Sample(node, static_cast<double>(s.head()));
  w.Family("ilp_records", MetricType::Gauge, "Records stored, by kind.");
  for (const auto& k : s.records()) {
    w.Sample(With(node, {{"kind", k.kind()}}), static_cast<double>(k.count()));
  }
  w.Family("ilp_lost_writes_total", MetricType::Counter, "Concurrent writes that lost the merge here.");
  w.Sample(node, static_cast<double>(s.lost_writes()));
  w.Family("ilp_quarantined_deltas", MetricType::Gauge,
           "Deltas refused from children and kept in quarantine (ilpctl quarantine).");
  w.Sample(node, static_cast<double>(s.quarantined_deltas()));
  w.Family("ilp_disk_free_bytes", MetricType::Gauge, "Free bytes on the data dir's filesystem.");
  w.Sample(node, static_cast<double>(s.disk_free_bytes()));
  w.Family("ilp_disk_reserve_bytes", MetricType::Gauge,
           "Free space kept (min_free_disk_mb); writes are refused below it.");
  w.Sample(node, static_cast<double>(s.disk_reserve_bytes()));
  w.Family("ilp_writes_refused_total", MetricType::Counter, "Writes refused, by reason.");
  w.Sample(With(node, {{"reason", "disk"}}), static_cast<double>(s.writes_refused_disk()));

  struct PeerMetric {
    const char* name;
    MetricType type;
    const char* help;
    std::function<double(const v1::PeerStatus&)> value;
  };
  const PeerMetric peer_metrics[] = {
      {"ilp_sync_sessions_total", MetricType::Counter, "Completed sync sessions with the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().sessions()); }},
      {"ilp_sync_errors_total", MetricType::Counter, "Failed sync sessions or attempts with the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().errors()); }},
      {"ilp_sync_sent_bytes_total", MetricType::Counter, "Session bytes sent to the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().bytes_sent()); }},
      {"ilp_sync_received_bytes_total", MetricType::Counter, "Session bytes received from the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().bytes_received()); }},
      {"ilp_sync_sent_records_total", MetricType::Counter, "Changes sent to the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().changes_sent()); }},
      {"ilp_sync_received_records_total", MetricType::Counter, "Changes received from the peer.",
       [](const v1::PeerStatus& p) { return double(p.state().changes_received()); }},
      {"ilp_sync_pending_changes", MetricType::Gauge,
       "Changes not yet acknowledged by the peer (for a child: before scope filtering).",
       [](const v1::PeerStatus& p) { return double(p.pending_changes()); }},
      {"ilp_sync_pending_bytes", MetricType::Gauge, "Serialized bytes of the pending changes.",
       [](const v1::PeerStatus& p) { return double(p.pending_bytes()); }},
      {"ilp_sync_oldest_unsent_age_seconds", MetricType::Gauge, "Age of the oldest pending change; 0 if none.",
       [](const v1::PeerStatus& p) { return p.oldest_unsent_age_ms() / 1000.0; }},
      {"ilp_sync_last_success_age_seconds", MetricType::Gauge,
       "Seconds since the last completed session; -1 if never.",
       [](const v1::PeerStatus& p) {
         return p.last_success_age_ms() < 0 ? -1.0 : p.last_success_age_ms() / 1000.0;
       }},
  };
  for (const PeerMetric& m : peer_metrics) {
    w.Family(m.name, m.type, m.help);
    for (const auto& p : s.peers()) {
      w.Sample(With(node, {{"peer", p.state().node_id()}, {"role", p.state().role()}}), m.value(p));
    }
  }

  w.Family("ilp_apply_duration_seconds", MetricType::Histogram,
           "Time to apply a batch of changes that wrote something (merge, indexes, fsync).");
  ClientMetric::Histogram h;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
    cumulative += apply.buckets[i];
    h.bucket.push_back({cumulative, LatencyHistogram::kBounds[i]});
  }
  cumulative += apply.buckets.back();
  h.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  h.sample_count = apply.count;
  h.sample_sum = apply.sum_seconds;
  w.Histogram(node, std::move(h));
  return w.Take();
}

std::vector<prometheus::MetricFamily> SatusehatFamilies(const v1::SatusehatStatusResponse& s) {
  Writer w;
  if (!s.enabled()) return w.Take();
  const Labels node = {{"node", s.node_id()}};
  w.Family("ilp_satusehat_records", MetricType::Gauge,
           "Records in the SATUSEHAT export queue by Organization and state.");
  for (const auto& o : s.orgs()) {
    const std::pair<const char*, uint64_t> by_state[] = {{"pending", o.pending()}, {"sent", o.sent()},
                                                         {"held", o.held()}, {"rejected", o.rejected()},
                                                         {"skipped", o.skipped()}};
    for (const auto& [state, n] : by_state) {
      w.Sample(With(node, {{"org", o.org_ihs()}, {"state", state}}), static_cast<double>(n));
    }
  }
  w.Family("ilp_satusehat_last_pass_ok", MetricType::Gauge, "1 if the last SATUSEHAT export pass had no error.");
  w.Sample(node, s.last_error().empty() ? 1 : 0);
  return w.Take();
}

std::string RenderMetrics(const v1::NodeStatus& status, const LatencyHistogram::Snapshot& apply) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, MetricFamilies(status, apply));
  return out.str();
}

}  // namespace ilp
