// The Prometheus metrics of a node, built from its status with prometheus-cpp
// (metric names in docs/operations.md).
#ifndef ILP_SERVICES_METRICS_PROMETHEUS_H_
#define ILP_SERVICES_METRICS_PROMETHEUS_H_

#include <string>
#include <vector>

#include "ilp/v1/admin.pb.h"
#include "prometheus/metric_family.h"
#include "storage/util/histogram.h"

namespace ilp {

// The node's metrics from `status` and the apply-latency histogram, as
// prometheus-cpp families (served by MetricsServer's Exposer).
std::vector<prometheus::MetricFamily> MetricFamilies(const v1::NodeStatus& status,
                                                     const LatencyHistogram::Snapshot& apply);

// The SATUSEHAT export counts (ilp_satusehat_records{org,state}, ilp_satusehat_up);
// none when export is off.
std::vector<prometheus::MetricFamily> SatusehatFamilies(const v1::SatusehatStatusResponse& s);

// Renders `status` and the apply-latency histogram as Prometheus text.
std::string RenderMetrics(const v1::NodeStatus& status, const LatencyHistogram::Snapshot& apply);

}  // namespace ilp

#endif  // ILP_SERVICES_METRICS_PROMETHEUS_H_
