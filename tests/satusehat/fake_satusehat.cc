#include "tests/satusehat/fake_satusehat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ilp::testing {
namespace {

using nlohmann::json;

std::string Decode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> Params(absl::string_view q) {
  std::map<std::string, std::string> out;
  for (absl::string_view kv : absl::StrSplit(q, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    out[Decode(p.first)] = Decode(p.second);
  }
  return out;
}

std::string Outcome(const std::string& code, const std::string& text) {
  return json{{"resourceType", "OperationOutcome"},
              {"issue", json::array({json{{"severity", "error"}, {"code", code}, {"diagnostics", text}}})}}
      .dump();
}

std::string Bundle(const std::vector<json>& matches) {
  json b{{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", matches.size()}, {"entry", json::array()}};
  for (const json& m : matches) b["entry"].push_back(json{{"resource", m}, {"search", {{"mode", "match"}}}});
  return b.dump();
}

}  // namespace

FakeSatusehat::FakeSatusehat() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0) {
    std::abort();
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeSatusehat::~FakeSatusehat() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  thread_.join();
  close(listen_fd_);
}

std::string FakeSatusehat::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void FakeSatusehat::AddClient(const std::string& id, const std::string& secret, const std::string& org) {
  absl::MutexLock l(&mu_);
  clients_[id] = {secret, org};
}

void FakeSatusehat::AddPatient(const std::string& identifier, const std::string& ihs) {
  absl::MutexLock l(&mu_);
  patients_[identifier] = ihs;
}

void FakeSatusehat::QueueFault(Fault f, int retry_after_s) {
  absl::MutexLock l(&mu_);
  faults_.emplace_back(f, retry_after_s);
}

int FakeSatusehat::token_fetches() const {
  absl::MutexLock l(&mu_);
  return token_fetches_;
}

int FakeSatusehat::posts(const std::string& type) const {
  absl::MutexLock l(&mu_);
  auto it = posts_.find(type);
  return it == posts_.end() ? 0 : it->second;
}

std::vector<json> FakeSatusehat::transactions() const {
  absl::MutexLock l(&mu_);
  return transactions_;
}

std::vector<json> FakeSatusehat::stored(const std::string& type) const {
  absl::MutexLock l(&mu_);
  auto it = resources_.find(type);
  return it == resources_.end() ? std::vector<json>() : it->second;
}

int FakeSatusehat::CountIdentifier(const std::string& system, const std::string& value) const {
  absl::MutexLock l(&mu_);
  int n = 0;
  for (const auto& [type, list] : resources_) {
    for (const json& r : list) {
      for (const json& id : r["identifier"]) n += id["system"] == system && id["value"] == value;
    }
  }
  return n;
}

void FakeSatusehat::Serve() {
  while (true) {
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      absl::MutexLock l(&mu_);
      if (stop_) return;
      continue;
    }
    Handle(fd);
    close(fd);
  }
}

void FakeSatusehat::Handle(int fd) {
  std::string in;
  char buf[8192];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;
    in.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos && (header_end = in.find("\r\n\r\n")) != std::string::npos) {
      for (absl::string_view line : absl::StrSplit(absl::string_view(in).substr(0, header_end), "\r\n")) {
        if (absl::StartsWithIgnoreCase(line, "content-length:")) {
          if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(15)), &content_length)) return;
        }
      }
    }
    if (header_end != std::string::npos && in.size() >= header_end + 4 + content_length) break;
  }
  std::vector<std::string> lines = absl::StrSplit(in.substr(0, header_end), "\r\n");
  std::vector<std::string> request_line = absl::StrSplit(lines[0], ' ');
  if (request_line.size() != 3) return;
  std::map<std::string, std::string> headers;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<std::string, std::string> kv = absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    headers[absl::AsciiStrToLower(kv.first)] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  const Answer a = Route(request_line[0], request_line[1], headers, in.substr(header_end + 4, content_length));
  if (a.drop) return;  // applied, but the answer never arrives
  std::string out = absl::StrCat("HTTP/1.1 ", a.status, " X\r\nContent-Type: application/json\r\nContent-Length: ",
                                 a.body.size(), "\r\nConnection: close\r\n");
  if (!a.retry_after.empty()) absl::StrAppend(&out, "Retry-After: ", a.retry_after, "\r\n");
  absl::StrAppend(&out, "\r\n", a.body);
  for (size_t off = 0; off < out.size();) {
    const ssize_t n = write(fd, out.data() + off, out.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

FakeSatusehat::Answer FakeSatusehat::Route(const std::string& method, const std::string& target,
                                           const std::map<std::string, std::string>& headers,
                                           const std::string& body) {
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::map<std::string, std::string> query =
      q == std::string::npos ? std::map<std::string, std::string>() : Params(target.substr(q + 1));
  absl::MutexLock l(&mu_);
  if (path == "/oauth2/v1/accesstoken") {
    ++token_fetches_;
    const auto form = Params(body);
    auto c = form.count("client_id") ? clients_.find(form.at("client_id")) : clients_.end();
    if (method != "POST" || query.count("grant_type") == 0 || query.at("grant_type") != "client_credentials" ||
        c == clients_.end() || !form.count("client_secret") || form.at("client_secret") != c->second.first) {
      return Answer{401, Outcome("security", "invalid client credentials")};
    }
    const std::string token = absl::StrCat("tok-", c->first, "-", token_fetches_);
    tokens_[token] = c->second.second;
    return Answer{200, json{{"access_token", token}, {"expires_in", "3599"}, {"token_type", "BearerToken"}}.dump()};
  }
  auto auth = headers.find("authorization");
  if (auth == headers.end() || !absl::StartsWith(auth->second, "Bearer ") ||
      tokens_.count(auth->second.substr(7)) == 0) {
    return Answer{401, Outcome("security", "no valid token")};
  }
  const std::string org = tokens_.at(auth->second.substr(7));
  if (path == "/fhir-r4/v1" || path == "/fhir-r4/v1/") {
    if (method != "POST") return Answer{405, Outcome("not-supported", "only a transaction POST at the base")};
    return Transaction(org, body);
  }
  if (!absl::StartsWith(path, "/fhir-r4/v1/")) return Answer{404, Outcome("not-found", "no such path")};
  const std::string type = path.substr(strlen("/fhir-r4/v1/"));
  if (method == "GET") {
    if (!query.count("identifier")) return Answer{400, Outcome("invalid", "identifier required")};
    return Search(type, query.at("identifier"));
  }
  return Post(type, org, body);
}

FakeSatusehat::Answer FakeSatusehat::Search(const std::string& type, const std::string& identifier) {
  std::vector<json> matches;
  if (type == "Patient") {
    if (auto it = patients_.find(identifier); it != patients_.end()) {
      matches.push_back(json{{"resourceType", "Patient"}, {"id", it->second}});
    }
    return Answer{200, Bundle(matches)};
  }
  std::pair<std::string, std::string> sv = absl::StrSplit(identifier, absl::MaxSplits('|', 1));
  for (const json& r : resources_[type]) {
    for (const json& id : r["identifier"]) {
      if (id["system"] == sv.first && id["value"] == sv.second) matches.push_back(r);
    }
  }
  return Answer{200, Bundle(matches)};
}

FakeSatusehat::Answer FakeSatusehat::Post(const std::string& type, const std::string& org, const std::string& body) {
  ++posts_[type];
  json r = json::parse(body, nullptr, false);
  if (r.is_discarded() || r.value("resourceType", "") != type || !r.contains("identifier")) {
    return Answer{400, Outcome("invalid", "not a " + type)};
  }
  const std::string system = r["identifier"][0].value("system", "");
  const std::string value = r["identifier"][0].value("value", "");
  if (!absl::EndsWith(system, "/" + org)) {
    return Answer{403, Outcome("forbidden", "identifier system is not of this client's organization")};
  }
  const DrawnFault fault = NextFault();
  if (std::optional<Answer> a = fault.Before()) return *a;
  if (Exists(type, system, value)) {
    return Answer{400, Outcome("duplicate", "Duplicate Data: resource with this identifier already exists")};
  }
  r["id"] = absl::StrCat(type, "-srv-", next_id_++);
  resources_[type].push_back(r);
  if (std::optional<Answer> a = fault.After()) return *a;
  return Answer{201, r.dump()};
}

FakeSatusehat::DrawnFault FakeSatusehat::NextFault() {
  DrawnFault d;
  if (faults_.empty()) return d;
  std::tie(d.fault, d.retry_after) = faults_.front();
  faults_.pop_front();
  return d;
}

std::optional<FakeSatusehat::Answer> FakeSatusehat::DrawnFault::Before() const {
  if (fault == Fault::k500Before) return Answer{500, Outcome("exception", "internal error")};
  if (fault == Fault::k429) return Answer{429, Outcome("throttled", "too many requests"), absl::StrCat(retry_after)};
  return std::nullopt;
}

std::optional<FakeSatusehat::Answer> FakeSatusehat::DrawnFault::After() const {
  if (fault == Fault::k500After) return Answer{500, Outcome("exception", "timeout after commit")};
  if (fault == Fault::kDropAfterApply) return Answer{0, "", "", true};
  return std::nullopt;
}

bool FakeSatusehat::Exists(const std::string& type, const json& system, const json& value) {
  for (const json& have : resources_[type]) {
    if (have["identifier"][0]["system"] == system && have["identifier"][0]["value"] == value) return true;
  }
  return false;
}

namespace {

// Replaces every {"reference": "<fullUrl>"} inside `j` by the id the
// transaction assigned; false if a urn:uuid reference names no entry.
bool ResolveReferences(json& j, const std::map<std::string, std::string>& assigned) {
  if (j.is_object()) {
    if (j.contains("reference") && j["reference"].is_string()) {
      const std::string ref = j["reference"].get<std::string>();
      if (auto it = assigned.find(ref); it != assigned.end()) {
        j["reference"] = it->second;
      } else if (absl::StartsWith(ref, "urn:uuid:")) {
        return false;
      }
    }
    for (auto& [k, v] : j.items()) {
      if (!ResolveReferences(v, assigned)) return false;
    }
  } else if (j.is_array()) {
    for (json& v : j) {
      if (!ResolveReferences(v, assigned)) return false;
    }
  }
  return true;
}

}  // namespace

// A FHIR transaction: every entry is checked and numbered first, and stored
// only if all of them pass (SATUSEHAT refuses the whole Bundle otherwise).
FakeSatusehat::Answer FakeSatusehat::Transaction(const std::string& org, const std::string& body) {
  ++posts_["Bundle"];
  json b = json::parse(body, nullptr, false);
  transactions_.push_back(b);
  if (b.is_discarded() || b.value("resourceType", "") != "Bundle" || b.value("type", "") != "transaction" ||
      !b.contains("entry") || !b["entry"].is_array() || b["entry"].empty()) {
    return Answer{400, Outcome("invalid", "not a transaction Bundle")};
  }
  const DrawnFault fault = NextFault();
  if (std::optional<Answer> a = fault.Before()) return *a;
  std::vector<std::pair<std::string, json>> staged;  // type, resource with its new id
  std::map<std::string, std::string> assigned;        // fullUrl -> Type/id
  int next = next_id_;
  for (const json& e : b["entry"]) {
    if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object()) {
      return Answer{400, Outcome("invalid", "entry without a resource")};
    }
    json r = e["resource"];
    const std::string type = r.value("resourceType", "");
    const json req = e.value("request", json());
    if (!req.is_object() || req.value("method", "") != "POST" || req.value("url", "") != type) {
      return Answer{400, Outcome("not-supported", "only POST {resourceType} entries")};
    }
    if (!r.contains("identifier") || !r["identifier"].is_array() || r["identifier"].empty()) {
      return Answer{400, Outcome("invalid", "entry without an identifier")};
    }
    const json system = r["identifier"][0].value("system", json());
    const json value = r["identifier"][0].value("value", json());
    if (!system.is_string() || !absl::EndsWith(system.get<std::string>(), "/" + org)) {
      return Answer{403, Outcome("forbidden", "identifier system is not of this client's organization")};
    }
    bool twice = Exists(type, system, value);
    for (const auto& [t, have] : staged) {
      twice |= t == type && have["identifier"][0]["system"] == system && have["identifier"][0]["value"] == value;
    }
    if (twice) {
      return Answer{400, Outcome("duplicate", "Duplicate Data: resource with this identifier already exists")};
    }
    r["id"] = absl::StrCat(type, "-srv-", next++);
    if (e.contains("fullUrl") && e["fullUrl"].is_string()) {
      assigned[e["fullUrl"].get<std::string>()] = absl::StrCat(type, "/", r["id"].get<std::string>());
    }
    staged.emplace_back(type, std::move(r));
  }
  for (auto& [type, r] : staged) {
    if (!ResolveReferences(r, assigned)) {
      return Answer{400, Outcome("invalid", "a urn:uuid reference names no entry of the Bundle")};
    }
  }
  json response{{"resourceType", "Bundle"}, {"type", "transaction-response"}, {"entry", json::array()}};
  for (auto& [type, r] : staged) {
    response["entry"].push_back(json{
        {"response", {{"status", "201 Created"},
                      {"location", absl::StrCat(type, "/", r["id"].get<std::string>(), "/_history/1")},
                      {"etag", "W/\"1\""}}}});
    resources_[type].push_back(std::move(r));
  }
  next_id_ = next;
  if (std::optional<Answer> a = fault.After()) return *a;
  return Answer{200, response.dump()};
}

}  // namespace ilp::testing
