// The /metrics HTTP endpoint: prometheus-cpp's Exposer serving the node's
// current status as MetricFamilies. Any other path is 404.
//
//   ILP_ASSIGN_OR_RETURN(auto m, MetricsServer::Start("127.0.0.1:9464", &admin));
//   m->port();  // the bound port (useful with port 0)
#ifndef ILP_SERVICES_METRICS_METRICS_HTTP_H_
#define ILP_SERVICES_METRICS_METRICS_HTTP_H_

#include <memory>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "services/admin/admin_core.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace ilp {

class MetricsServer {
 public:
  // Listens on `listen` (HOST:PORT; port 0 picks a free one). `admin` must
  // outlive the server.
  ABSL_MUST_USE_RESULT static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              AdminCore* admin);
  ~MetricsServer();  // stops listening and waits for running requests

  int port() const { return port_; }

 private:
  class Collector;
  MetricsServer() = default;

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<Collector> collector_;
  int port_ = 0;
};

}  // namespace ilp

#endif  // ILP_SERVICES_METRICS_METRICS_HTTP_H_
