#include "services/metrics/metrics_http.h"

#include "absl/strings/str_cat.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "services/metrics/prometheus.h"

namespace ilp {

// Reads the node's status at each scrape; nothing is kept between scrapes.
class MetricsServer::Collector : public prometheus::Collectable {
 public:
  explicit Collector(AdminCore* admin) : admin_(admin) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::StatusOr<v1::NodeStatus> status = admin_->GetStatus();
    if (!status.ok()) {
      // The store cannot be read: say so instead of serving stale numbers.
      prometheus::ClientMetric m;
      m.gauge.value = 0;
      return {prometheus::MetricFamily{"ilp_up", "1 while the node serves; 0 if its status cannot be read.",
                                       prometheus::MetricType::Gauge, {m}}};
    }
    std::vector<prometheus::MetricFamily> out = MetricFamilies(*status, admin_->store()->apply_latency().Take());
    if (absl::StatusOr<v1::SatusehatStatusResponse> sat = admin_->SatusehatCounts(); sat.ok()) {
      for (prometheus::MetricFamily& f : SatusehatFamilies(*sat)) out.push_back(std::move(f));
    }
    return out;
  }

 private:
  AdminCore* const admin_;
};

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                    AdminCore* admin) {
  std::unique_ptr<MetricsServer> m(new MetricsServer());
  try {
    m->exposer_ = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen ", listen, ": cannot listen (in use, or not HOST:PORT?): ", e.what()));
  }
  m->collector_ = std::make_shared<Collector>(admin);
  m->exposer_->RegisterCollectable(m->collector_);
  const std::vector<int> ports = m->exposer_->GetListeningPorts();
  if (ports.empty()) return absl::InternalError(absl::StrCat("metrics_listen ", listen, ": no port bound"));
  m->port_ = ports.front();
  return m;
}

MetricsServer::~MetricsServer() = default;

}  // namespace ilp
