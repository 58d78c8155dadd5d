// The HTTP the SATUSEHAT client speaks, behind an interface so tests can
// count and cut calls. CurlHttpClient is the real one: libcurl with TLS
// verification on (peer and host), no redirects, http/https only.
#ifndef ILP_SERVICES_SATUSEHAT_HTTP_CLIENT_H_
#define ILP_SERVICES_SATUSEHAT_HTTP_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ilp::satusehat {

struct HttpRequest {
  std::string method;  // "GET" or "POST"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;          // HTTP status code
  std::string body;
  std::string retry_after;  // Retry-After header value, "" if absent
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `req` and returns the server's answer, whatever its status code.
  // UNAVAILABLE when no complete answer arrived (connection refused, reset,
  // timeout): the server may or may not have acted on it.
  ABSL_MUST_USE_RESULT virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& req) = 0;
};

class CurlHttpClient : public HttpClient {
 public:
  // `ca_file`: PEM bundle to verify the server with; "" = the system store.
  CurlHttpClient(std::string ca_file, absl::Duration timeout);
  ABSL_MUST_USE_RESULT absl::StatusOr<HttpResponse> Send(const HttpRequest& req) override;

 private:
  std::string ca_file_;
  absl::Duration timeout_;
};

// `s` percent-encoded for a URL query or an application/x-www-form-urlencoded body.
std::string UrlEncode(const std::string& s);

}  // namespace ilp::satusehat

#endif  // ILP_SERVICES_SATUSEHAT_HTTP_CLIENT_H_
