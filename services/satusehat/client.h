// One Organization's conversation with SATUSEHAT: the OAuth2 client
// credentials token, patient lookup by NIK, create and search by identifier.
// Every answer from the server is checked before it is believed (status code,
// JSON shape, ids). Nothing here logs; errors never carry a NIK, a name or the
// secret.
//
//   Client c(&http, &clock, "https://api-satusehat.kemkes.go.id", client_id, secret_file);
//   ILP_ASSIGN_OR_RETURN(CreateResult r, c.Create("Encounter", json));
#ifndef ILP_SERVICES_SATUSEHAT_CLIENT_H_
#define ILP_SERVICES_SATUSEHAT_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "services/satusehat/http_client.h"
#include "storage/clock/clock.h"

namespace ilp::satusehat {

// The FHIR endpoint of resource `type` under `base_url`:
// "{base_url}/fhir-r4/v1/{type}". A resource SATUSEHAT assigned id X is at
// "{endpoint}/X", so the endpoint is also the system of the external id the
// exporter puts on the record (docs/satusehat.md).
std::string ResourceEndpoint(absl::string_view base_url, absl::string_view type);

// What a POST came to.
struct CreateResult {
  enum Kind {
    kCreated,    // 201: server_id set
    kDuplicate,  // the identifier is already there: search for its id
    kRejected,   // 4xx other than duplicate: reason = the OperationOutcome text
    kRetry,      // 429 or 5xx: retry_after_ms (0 = use backoff); a 5xx may have been applied
  };
  Kind kind = kRetry;
  std::string server_id;
  // A transaction: the server id of each entry, in the Bundle's order (kCreated).
  std::vector<std::string> server_ids;
  std::string reason;
  int64_t retry_after_ms = 0;
  bool maybe_applied = false;  // a 5xx: search by identifier before sending again
};

class Client {
 public:
  // `http` and `clock` must outlive the client. The secret is read from
  // `secret_file` at each token fetch (so it can rotate) and never kept in logs.
  Client(HttpClient* http, Clock* clock, std::string base_url, std::string client_id,
         std::string secret_file);

  // A bearer token, fetched with client credentials when none is cached or it
  // expires within a minute. UNAVAILABLE on network errors or 5xx;
  // PERMISSION_DENIED when the platform refuses the credential;
  // FAILED_PRECONDITION when the secret file is unreadable or not private.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::string> Token();

  // The IHS number (Patient.id) for `identifier` ("system|value"); nullopt if
  // SATUSEHAT has no such patient. FAILED_PRECONDITION when it has several.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::optional<std::string>> FindPatient(
      const std::string& identifier);

  // The id of the `type` resource with identifier "system|value", nullopt if none.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::optional<std::string>> FindByIdentifier(
      const std::string& type, const std::string& system, const std::string& value);

  // POSTs `resource` to {base}/fhir-r4/v1/{type}. UNAVAILABLE when no answer
  // arrived (the server may have applied it).
  ABSL_MUST_USE_RESULT absl::StatusOr<CreateResult> Create(const std::string& type,
                                                          const nlohmann::json& resource);

  // POSTs a transaction Bundle to the FHIR base {base}/fhir-r4/v1. The
  // server applies it whole or not at all. kCreated only with a
  // transaction-response whose every entry is 2xx with a location
  // "<Type>/<id>[/_history/<v>]" of its request's type (server_ids in
  // order); a 2xx answer that cannot be believed is kRetry, maybe_applied.
  // kDuplicate when the whole transaction was refused as a duplicate. Other
  // outcomes as Create. UNAVAILABLE when no answer arrived.
  ABSL_MUST_USE_RESULT absl::StatusOr<CreateResult> Transaction(const nlohmann::json& bundle);

 private:
  // GET/POST with the bearer token; one retry with a fresh token after a 401.
  ABSL_MUST_USE_RESULT absl::StatusOr<HttpResponse> Authorized(HttpRequest req);
  // The single id of a searchset Bundle, nullopt if empty.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::optional<std::string>> SingleId(const HttpResponse& r,
                                                                          const std::string& what);
  // Sets kind, reason and retry_after of a non-2xx answer on `out`.
  static void NotCreated(const HttpResponse& r, CreateResult* out);

  HttpClient* const http_;
  Clock* const clock_;
  const std::string base_url_;
  const std::string client_id_;
  const std::string secret_file_;
  std::string token_;
  int64_t token_expiry_ms_ = 0;
};

// The text of an OperationOutcome (issue diagnostics / details.text, joined),
// at most 500 characters; the HTTP status when the body is not one.
std::string OutcomeText(long status, const std::string& body);

// True if an OperationOutcome body says the resource already exists.
bool IsDuplicateOutcome(long status, const std::string& body);

}  // namespace ilp::satusehat

#endif  // ILP_SERVICES_SATUSEHAT_CLIENT_H_
