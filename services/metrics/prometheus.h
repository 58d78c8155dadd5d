// The Prometheus text exposition of a node's status (format 0.0.4).
#ifndef ILP_SERVICES_METRICS_PROMETHEUS_H_
#define ILP_SERVICES_METRICS_PROMETHEUS_H_

#include <string>

#include "ilp/v1/admin.pb.h"
#include "storage/util/histogram.h"

namespace ilp {

// Renders `status` and the apply-latency histogram as Prometheus text.
std::string RenderMetrics(const v1::NodeStatus& status, const LatencyHistogram::Snapshot& apply);

}  // namespace ilp

#endif  // ILP_SERVICES_METRICS_PROMETHEUS_H_
