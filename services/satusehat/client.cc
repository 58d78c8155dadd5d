#include "services/satusehat/client.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "storage/util/status_macros.h"

namespace ilp::satusehat {
namespace {

using nlohmann::json;

// A server id (Patient IHS number, resource id): letters, digits, '-', '.'; 1-64.
bool IsServerId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

absl::StatusOr<json> ParseJson(const HttpResponse& r, absl::string_view what) {
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::UnavailableError(absl::StrCat(what, ": HTTP ", r.status, " answer is not a JSON object"));
  }
  return j;
}

absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("client_secret_file ", path, ": cannot read"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "client_secret_file ", path, ": readable by group or others; chmod 600 it"));
  }
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s(absl::StripAsciiWhitespace(ss.str()));
  if (!f || s.empty() || s.find('\n') != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat("client_secret_file ", path, ": must hold one non-empty line"));
  }
  return s;
}

}  // namespace

std::string OutcomeText(long status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  std::vector<std::string> parts;
  if (j.is_object() && j.value("resourceType", "") == "OperationOutcome" && j.contains("issue") &&
      j["issue"].is_array()) {
    for (const json& issue : j["issue"]) {
      if (!issue.is_object()) continue;
      std::string text = issue.value("diagnostics", "");
      if (text.empty() && issue.contains("details") && issue["details"].is_object()) {
        text = issue["details"].value("text", "");
      }
      if (text.empty()) text = issue.value("code", "");
      if (!text.empty()) parts.push_back(text);
    }
  }
  std::string out = absl::StrCat("HTTP ", status);
  if (!parts.empty()) absl::StrAppend(&out, ": ", absl::StrJoin(parts, "; "));
  if (out.size() > 500) out.resize(500);
  return out;
}

bool IsDuplicateOutcome(long status, const std::string& body) {
  if (status == 409) return true;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || j.value("resourceType", "") != "OperationOutcome" || !j.contains("issue") ||
      !j["issue"].is_array()) {
    return false;
  }
  for (const json& issue : j["issue"]) {
    if (issue.is_object() && issue.value("code", "") == "duplicate") return true;
  }
  return false;
}

Client::Client(HttpClient* http, Clock* clock, std::string base_url, std::string client_id,
               std::string secret_file)
    : http_(http),
      clock_(clock),
      base_url_(std::move(base_url)),
      client_id_(std::move(client_id)),
      secret_file_(std::move(secret_file)) {}

absl::StatusOr<std::string> Client::Token() {
  const int64_t now = clock_->NowMs();
  if (!token_.empty() && now < token_expiry_ms_ - 60'000) return token_;
  ILP_ASSIGN_OR_RETURN(const std::string secret, ReadSecret(secret_file_));
  HttpRequest req{"POST", absl::StrCat(base_url_, "/oauth2/v1/accesstoken?grant_type=client_credentials"),
                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                  absl::StrCat("client_id=", UrlEncode(client_id_), "&client_secret=", UrlEncode(secret))};
  ILP_ASSIGN_OR_RETURN(const HttpResponse r, http_->Send(req));
  if (r.status == 401 || r.status == 403 || r.status == 400) {
    return absl::PermissionDeniedError(
        absl::StrCat("token for client ", client_id_, " refused: HTTP ", r.status));
  }
  if (r.status != 200) {
    return absl::UnavailableError(absl::StrCat("token endpoint: HTTP ", r.status));
  }
  ILP_ASSIGN_OR_RETURN(const json j, ParseJson(r, "token endpoint"));
  if (!j.contains("access_token") || !j["access_token"].is_string() ||
      j["access_token"].get<std::string>().empty()) {
    return absl::UnavailableError("token endpoint: answer has no access_token");
  }
  // SATUSEHAT sends expires_in as a string of seconds; accept a number too.
  int64_t expires_s = 0;
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
    expires_s = j["expires_in"].get<int64_t>();
  } else if (j.contains("expires_in") && j["expires_in"].is_string()) {
    if (!absl::SimpleAtoi(j["expires_in"].get<std::string>(), &expires_s)) expires_s = 0;
  }
  if (expires_s <= 0) return absl::UnavailableError("token endpoint: expires_in missing or not positive");
  token_ = j["access_token"].get<std::string>();
  token_expiry_ms_ = now + expires_s * 1000;
  return token_;
}

absl::StatusOr<HttpResponse> Client::Authorized(HttpRequest req) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    ILP_ASSIGN_OR_RETURN(const std::string token, Token());
    HttpRequest r = req;
    r.headers.emplace_back("Authorization", absl::StrCat("Bearer ", token));
    ILP_ASSIGN_OR_RETURN(HttpResponse resp, http_->Send(r));
    if (resp.status != 401) return resp;
    token_.clear();  // expired or revoked early: fetch a new one once
  }
  return absl::PermissionDeniedError(absl::StrCat("client ", client_id_, ": HTTP 401 with a fresh token"));
}

absl::StatusOr<std::optional<std::string>> Client::SingleId(const HttpResponse& r,
                                                            const std::string& what) {
  if (r.status != 200) {
    // Only the status: a search's error text may echo the identifier (a NIK).
    return absl::UnavailableError(absl::StrCat(what, ": HTTP ", r.status));
  }
  ILP_ASSIGN_OR_RETURN(const json j, ParseJson(r, what));
  if (j.value("resourceType", "") != "Bundle") {
    return absl::UnavailableError(absl::StrCat(what, ": answer is not a Bundle"));
  }
  if (!j.contains("entry") || !j["entry"].is_array() || j["entry"].empty()) return std::nullopt;
  if (j["entry"].size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": SATUSEHAT returned ", j["entry"].size(), " matches"));
  }
  const json& e = j["entry"][0];
  if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object() ||
      !e["resource"].contains("id") || !e["resource"]["id"].is_string() ||
      !IsServerId(e["resource"]["id"].get<std::string>())) {
    return absl::UnavailableError(absl::StrCat(what, ": match has no valid id"));
  }
  return e["resource"]["id"].get<std::string>();
}

std::string ResourceEndpoint(absl::string_view base_url, absl::string_view type) {
  return absl::StrCat(base_url, "/fhir-r4/v1/", type);
}

absl::StatusOr<std::optional<std::string>> Client::FindPatient(const std::string& identifier) {
  HttpRequest req{"GET", absl::StrCat(ResourceEndpoint(base_url_, "Patient"), "?identifier=", UrlEncode(identifier)),
                  {{"Accept", "application/fhir+json"}}, ""};
  ILP_ASSIGN_OR_RETURN(const HttpResponse r, Authorized(std::move(req)));
  return SingleId(r, "patient lookup");
}

absl::StatusOr<std::optional<std::string>> Client::FindByIdentifier(const std::string& type,
                                                                    const std::string& system,
                                                                    const std::string& value) {
  HttpRequest req{"GET",
                  absl::StrCat(ResourceEndpoint(base_url_, type), "?identifier=",
                               UrlEncode(absl::StrCat(system, "|", value))),
                  {{"Accept", "application/fhir+json"}}, ""};
  ILP_ASSIGN_OR_RETURN(const HttpResponse r, Authorized(std::move(req)));
  return SingleId(r, absl::StrCat(type, " search"));
}

absl::StatusOr<CreateResult> Client::Create(const std::string& type, const json& resource) {
  HttpRequest req{"POST", ResourceEndpoint(base_url_, type),
                  {{"Content-Type", "application/fhir+json"}, {"Accept", "application/fhir+json"}},
                  resource.dump()};
  ILP_ASSIGN_OR_RETURN(const HttpResponse r, Authorized(std::move(req)));
  CreateResult out;
  if (r.status == 200 || r.status == 201) {
    ILP_ASSIGN_OR_RETURN(const json j, ParseJson(r, absl::StrCat(type, " create")));
    if (j.value("resourceType", "") != type || !j.contains("id") || !j["id"].is_string() ||
        !IsServerId(j["id"].get<std::string>())) {
      // Applied, but the answer cannot be believed: find it by identifier.
      out.kind = CreateResult::kRetry;
      out.maybe_applied = true;
      out.reason = absl::StrCat(type, " create: HTTP ", r.status, " without a valid ", type, " id");
      return out;
    }
    out.kind = CreateResult::kCreated;
    out.server_id = j["id"].get<std::string>();
  } else {
    NotCreated(r, &out);
  }
  return out;
}

void Client::NotCreated(const HttpResponse& r, CreateResult* out) {
  if (IsDuplicateOutcome(r.status, r.body)) {
    out->kind = CreateResult::kDuplicate;
  } else if (r.status == 429 || r.status >= 500) {
    out->kind = CreateResult::kRetry;
    out->maybe_applied = r.status >= 500;
    out->reason = OutcomeText(r.status, r.body);
    int64_t s = 0;
    if (absl::SimpleAtoi(r.retry_after, &s) && s > 0) out->retry_after_ms = std::min<int64_t>(s, 86'400) * 1000;
  } else {
    out->kind = CreateResult::kRejected;
    out->reason = OutcomeText(r.status, r.body);
  }
}

absl::StatusOr<CreateResult> Client::Transaction(const json& bundle) {
  std::vector<std::string> types;  // of the entries, in order
  if (bundle.is_object() && bundle.contains("entry") && bundle["entry"].is_array()) {
    for (const json& e : bundle["entry"]) {
      if (e.is_object() && e.contains("resource") && e["resource"].is_object()) {
        types.push_back(e["resource"].value("resourceType", ""));
      }
    }
  }
  if (types.empty() || types.size() != bundle["entry"].size()) {
    return absl::InvalidArgumentError("transaction: not a Bundle of resources");
  }
  HttpRequest req{"POST", absl::StrCat(base_url_, "/fhir-r4/v1"),
                  {{"Content-Type", "application/fhir+json"}, {"Accept", "application/fhir+json"}},
                  bundle.dump()};
  ILP_ASSIGN_OR_RETURN(const HttpResponse r, Authorized(std::move(req)));
  CreateResult out;
  if (r.status != 200 && r.status != 201) {
    NotCreated(r, &out);
    return out;
  }
  // Applied; from here on an answer that cannot be believed means "search".
  out.kind = CreateResult::kRetry;
  out.maybe_applied = true;
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("resourceType", json()) != "Bundle" ||
      j.value("type", json()) != "transaction-response" || !j.contains("entry") || !j["entry"].is_array() ||
      j["entry"].size() != types.size()) {
    out.reason = absl::StrCat("transaction: HTTP ", r.status, " without a transaction-response of ",
                              types.size(), " entries");
    return out;
  }
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string& type = types[i];
    const json& e = j["entry"][i];
    const json resp = e.is_object() ? e.value("response", json()) : json();
    const json status = resp.is_object() ? resp.value("status", json()) : json();
    const json location = resp.is_object() ? resp.value("location", json()) : json();
    std::string id;
    if (status.is_string() && absl::StartsWith(status.get<std::string>(), "20") && location.is_string()) {
      // "Observation/<id>/_history/1", or an absolute URL ending so.
      std::vector<std::string> parts = absl::StrSplit(location.get<std::string>(), '/');
      size_t end = parts.size();
      if (end >= 2 && parts[end - 2] == "_history") end -= 2;
      if (end >= 2 && parts[end - 2] == type && IsServerId(parts[end - 1])) id = parts[end - 1];
    }
    if (id.empty()) {
      out.reason = absl::StrCat("transaction: entry ", i, " (", type, ") has no 2xx status with a ", type,
                                " location");
      return out;
    }
    out.server_ids.push_back(std::move(id));
  }
  out.kind = CreateResult::kCreated;
  out.maybe_applied = false;
  return out;
}

}  // namespace ilp::satusehat
