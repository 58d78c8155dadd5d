#include "tests/satusehat/fake_satusehat.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/common/temp_dir.h"

namespace ilp::testing {
namespace {

using nlohmann::json;

// The server writes "port N\n" to this descriptor (server.js --port-fd), so
// nothing node or a library prints on stdout can be taken for it.
constexpr int kPortFd = 3;

// ILP_NODE as CMake found it (an absolute path), else `node` looked up on
// PATH here, before fork: the child only calls execve. "" if none.
std::string FindNode() {
  const std::string configured = ILP_NODE;
  if (absl::StrContains(configured, '/')) return access(configured.c_str(), X_OK) == 0 ? configured : "";
  const char* path = getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", configured);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// The first line read from `fd` (without its '\n'), or what came before EOF
// or the deadline.
std::string ReadLine(int fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string line;
  char buf[256];
  while (line.find('\n') == std::string::npos) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  return line.substr(0, line.find('\n'));
}

const char* FaultName(FakeSatusehat::Fault f) {
  switch (f) {
    case FakeSatusehat::Fault::k500Before:
      return "500-before";
    case FakeSatusehat::Fault::k500After:
      return "500-after";
    case FakeSatusehat::Fault::k429:
      return "429";
    case FakeSatusehat::Fault::kDropAfterApply:
      return "drop-after-apply";
    case FakeSatusehat::Fault::kStallAfterApply:
      return "stall-after-apply";
  }
  return "";
}

}  // namespace

FakeSatusehat::FakeSatusehat()
    : http_(std::make_unique<satusehat::CurlHttpClient>("", absl::Seconds(60))) {
  const std::string how = absl::StrCat("node ", ILP_SATUSEHAT_SERVER_JS, " with NODE_PATH=",
                                       ILP_SATUSEHAT_SERVER_MODULES, " (tests/run.sh installs its npm packages)");
  std::string node = FindNode();
  if (node.empty()) {
    ADD_FAILURE() << "SATUSEHAT test server: no node (" << ILP_NODE << "); it runs as " << how;
    return;
  }
  // Everything the child needs is built before fork.
  std::string js = ILP_SATUSEHAT_SERVER_JS;
  std::string port_flag = "--port-fd";
  std::string port_fd = absl::StrCat(kPortFd);
  std::vector<char*> argv = {node.data(), js.data(), port_flag.data(), port_fd.data(), nullptr};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "NODE_PATH=")) env.emplace_back(*e);
  }
  env.push_back(absl::StrCat("NODE_PATH=", ILP_SATUSEHAT_SERVER_MODULES));
  std::vector<char*> envp;
  for (std::string& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "SATUSEHAT test server: pipe2: " << strerror(errno);
    return;
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // The child: async-signal-safe calls only, until execve. It is killed
    // when the thread that forked it ends, a crashed test included.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // the parent died before prctl
    if (out[1] == kPortFd) {
      fcntl(kPortFd, F_SETFD, 0);
    } else {
      dup2(out[1], kPortFd);
    }
    close_range(kPortFd + 1, ~0U, 0);  // none of the test's sockets or files
    execve(argv[0], argv.data(), envp.data());
    static const char kMsg[] = "fake_satusehat: execve of node failed\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    _exit(127);
  }
  close(out[1]);
  if (pid_ < 0) {
    close(out[0]);
    ADD_FAILURE() << "SATUSEHAT test server: fork: " << strerror(errno);
    return;
  }
  // Loading the R4 definitions takes a second or two; far longer under load.
  const std::string line = ReadLine(out[0], absl::Seconds(120));
  close(out[0]);
  int port = 0;
  if (!absl::StartsWith(line, "port ") || !absl::SimpleAtoi(line.substr(5), &port) || port <= 0) {
    ADD_FAILURE() << "SATUSEHAT test server did not start (" << (line.empty() ? "it named no port" : line)
                  << "; its stderr is above): " << how;
    return;
  }
  base_url_ = absl::StrCat("http://127.0.0.1:", port);
}

FakeSatusehat::~FakeSatusehat() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

json FakeSatusehat::Control(const std::string& method, const std::string& path, const json& body) const {
  if (base_url_.empty()) return json();  // the constructor failed the test already
  satusehat::HttpRequest req{method, base_url_ + path, {{"Content-Type", "application/json"}},
                             method == "POST" ? body.dump() : ""};
  const absl::StatusOr<satusehat::HttpResponse> r = http_->Send(req);
  if (!r.ok() || r->status != 200) {
    ADD_FAILURE() << "SATUSEHAT test server: " << method << " " << path << ": "
                  << (r.ok() ? absl::StrCat("HTTP ", r->status, " ", r->body) : r.status().ToString());
    return json();
  }
  json j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    ADD_FAILURE() << "SATUSEHAT test server: " << method << " " << path << ": not a JSON object";
    return json();
  }
  return j;
}

json FakeSatusehat::State() const {
  json s = Control("GET", "/_test/state", json());
  return s.is_object() ? s : json::object();
}

void FakeSatusehat::AddClient(const std::string& id, const std::string& secret, const std::string& org) {
  Control("POST", "/_test/clients", json{{"client_id", id}, {"client_secret", secret}, {"org", org}});
}

void FakeSatusehat::AddPatient(const std::string& identifier, const std::string& ihs) {
  Control("POST", "/_test/patients", json{{"identifier", identifier}, {"ihs", ihs}});
}

void FakeSatusehat::QueueFault(Fault f, int retry_after_s) {
  Control("POST", "/_test/faults", json{{"fault", FaultName(f)}, {"retry_after", retry_after_s}});
}

int FakeSatusehat::token_fetches() const { return State().value("token_fetches", 0); }

int FakeSatusehat::posts(const std::string& type) const {
  const json s = State();
  return s.contains("posts") && s["posts"].is_object() ? s["posts"].value(type, 0) : 0;
}

std::vector<json> FakeSatusehat::transactions() const {
  const json s = State();
  std::vector<json> out;
  if (s.contains("transactions") && s["transactions"].is_array()) {
    for (const json& b : s["transactions"]) out.push_back(b);
  }
  return out;
}

std::vector<json> FakeSatusehat::stored(const std::string& type) const {
  const json s = State();
  std::vector<json> out;
  if (s.contains("stored") && s["stored"].contains(type) && s["stored"][type].is_array()) {
    for (const json& r : s["stored"][type]) out.push_back(r);
  }
  return out;
}

int FakeSatusehat::CountIdentifier(const std::string& system, const std::string& value) const {
  const json s = State();
  int n = 0;
  if (!s.contains("stored") || !s["stored"].is_object()) return 0;
  for (const auto& [type, list] : s["stored"].items()) {
    for (const json& r : list) {
      if (!r.contains("identifier") || !r["identifier"].is_array()) continue;
      for (const json& id : r["identifier"]) n += id.value("system", "") == system && id.value("value", "") == value;
    }
  }
  return n;
}

v1::SatusehatConfig OeboboExport(FakeSatusehat& fake, const std::string& dir) {
  fake.AddClient("client-oebobo", "s3cret", "100011961");
  const std::string secret = dir + "/satusehat-secret";
  WriteFile(secret, "s3cret\n");
  EXPECT_EQ(chmod(secret.c_str(), 0600), 0);
  v1::SatusehatConfig sat;
  sat.set_base_url(fake.base_url());
  v1::SatusehatOrganization* org = sat.add_organizations();
  org->set_org_ihs("100011961");
  org->set_client_id("client-oebobo");
  org->set_client_secret_file(secret);
  org->set_puskesmas_node_id("pkm-oebobo");
  v1::SatusehatSite* site = org->add_sites();
  site->set_node_id("pos-melati");
  site->set_location_ihs("loc-melati");
  site->set_supervisor_practitioner_ihs("N10000001");
  return sat;
}

}  // namespace ilp::testing
