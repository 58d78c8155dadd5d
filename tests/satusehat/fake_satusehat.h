// A SATUSEHAT-like endpoint for tests: plain HTTP/1.1 on 127.0.0.1 (an
// ephemeral port), one connection per request, written here so nothing
// outside Debian is needed. It keeps the platform's rules that matter to the
// exporter: the client-credentials token endpoint, one Organization per
// client (a resource under another Organization's identifier system is
// refused), a duplicate identifier refused with an OperationOutcome
// "duplicate", search by identifier, patients found by NIK, and a transaction
// Bundle POSTed to the FHIR base: applied all or nothing, urn:uuid
// references resolved to the ids it assigns, a duplicate identifier (or any
// refused entry) failing the whole transaction, answered with a
// transaction-response. Faults are queued and consumed by the next resource
// or transaction POSTs.
#ifndef ILP_TESTS_SATUSEHAT_FAKE_SATUSEHAT_H_
#define ILP_TESTS_SATUSEHAT_FAKE_SATUSEHAT_H_

#include <deque>
#include <map>
#include <string>
#include <thread>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace ilp::testing {

class FakeSatusehat {
 public:
  enum class Fault {
    k500Before,       // answer 500 without storing
    k500After,        // store, then answer 500
    k429,             // answer 429 with Retry-After
    kDropAfterApply,  // store, then close the connection without an answer
  };

  FakeSatusehat();  // listening when constructed
  ~FakeSatusehat();

  std::string base_url() const;
  void AddClient(const std::string& client_id, const std::string& secret, const std::string& org_ihs);
  // A patient SATUSEHAT knows: "system|value" -> IHS number.
  void AddPatient(const std::string& identifier, const std::string& ihs);
  void QueueFault(Fault f, int retry_after_s = 0);

  int token_fetches() const;
  // POSTs received for `type`, stored or not; "Bundle" counts transactions
  // (their entries are not counted under their own types).
  int posts(const std::string& type) const;
  // Every transaction Bundle received, as received (applied or not).
  std::vector<nlohmann::json> transactions() const;
  // Resources stored of `type`.
  std::vector<nlohmann::json> stored(const std::string& type) const;
  // Stored resources of any type whose identifier is system|value.
  int CountIdentifier(const std::string& system, const std::string& value) const;

 private:
  struct Answer {
    Answer(int s, std::string b, std::string ra = "", bool d = false)
        : status(s), body(std::move(b)), retry_after(std::move(ra)), drop(d) {}
    int status;
    std::string body;
    std::string retry_after;
    bool drop;  // applied, but no answer: the connection closes
  };
  void Serve();
  void Handle(int fd);
  Answer Route(const std::string& method, const std::string& target,
               const std::map<std::string, std::string>& headers, const std::string& body);
  Answer Post(const std::string& type, const std::string& org, const std::string& body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Answer Transaction(const std::string& org, const std::string& body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The queued fault one write meets (popped once per write), and what it
  // answers: before the write (500, 429) or after it (500 once stored, a
  // dropped connection).
  struct DrawnFault {
    std::optional<Fault> fault;
    int retry_after = 0;
    std::optional<Answer> Before() const;
    std::optional<Answer> After() const;
  };
  DrawnFault NextFault() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True if a stored resource of `type` has identifier[0] system|value.
  bool Exists(const std::string& type, const nlohmann::json& system, const nlohmann::json& value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Answer Search(const std::string& type, const std::string& identifier) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::pair<std::string, std::string>> clients_ ABSL_GUARDED_BY(mu_);  // id -> secret, org
  std::map<std::string, std::string> tokens_ ABSL_GUARDED_BY(mu_);                           // token -> org
  std::map<std::string, std::string> patients_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<Fault, int>> faults_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<nlohmann::json>> resources_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> posts_ ABSL_GUARDED_BY(mu_);
  std::vector<nlohmann::json> transactions_ ABSL_GUARDED_BY(mu_);
  int token_fetches_ ABSL_GUARDED_BY(mu_) = 0;
  int next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace ilp::testing

#endif  // ILP_TESTS_SATUSEHAT_FAKE_SATUSEHAT_H_
