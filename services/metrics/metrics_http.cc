#include "services/metrics/metrics_http.h"

#include <civetweb.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "services/metrics/prometheus.h"

namespace ilp {
namespace {

std::once_flag init_once;

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                    AdminCore* admin) {
  std::call_once(init_once, [] { mg_init_library(0); });
  std::unique_ptr<MetricsServer> m(new MetricsServer());
  m->admin_ = admin;
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", "2",
                           "request_timeout_ms", "10000", nullptr};
  mg_callbacks callbacks{};
  // civetweb logs bind failures through this callback; we report our own error.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  m->ctx_ = mg_start(&callbacks, nullptr, options);
  if (m->ctx_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen ", listen, ": cannot listen (in use, or not HOST:PORT?)"));
  }
  mg_server_port ports[1];
  if (mg_get_server_ports(m->ctx_, 1, ports) < 1) {
    return absl::InternalError(absl::StrCat("metrics_listen ", listen, ": no port bound"));
  }
  m->port_ = ports[0].port;
  mg_set_request_handler(m->ctx_, "/metrics$", &MetricsServer::Handle, m.get());
  return m;
}

MetricsServer::~MetricsServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

int MetricsServer::Handle(mg_connection* conn, void* self) {
  auto* m = static_cast<MetricsServer*>(self);
  absl::StatusOr<v1::NodeStatus> status = m->admin_->GetStatus();
  if (!status.ok()) {
    const std::string msg = absl::StrCat(status.status().ToString(), "\n");
    mg_send_http_error(conn, 500, "%s", msg.c_str());
    return 500;
  }
  const std::string body = RenderMetrics(*status, m->admin_->store()->apply_latency().Take());
  mg_send_http_ok(conn, "text/plain; version=0.0.4; charset=utf-8", static_cast<long long>(body.size()));
  mg_write(conn, body.data(), body.size());
  return 200;
}

}  // namespace ilp
