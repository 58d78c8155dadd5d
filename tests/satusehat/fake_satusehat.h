// A SATUSEHAT-like endpoint for tests: tests/satusehat/server/server.js, a
// real FHIR server library from npm (@medplum/fhir-router over its in-memory
// repository) with SATUSEHAT's rules on top (the client-credentials token
// endpoint, one Organization per client, a duplicate identifier refused with
// an OperationOutcome "duplicate" and failing the whole transaction, search
// by identifier, patients found by NIK, 429 with Retry-After). This class
// starts it as a child process (node, on 127.0.0.1, an ephemeral port) and
// drives it through its test-only control path (/_test/...). Plain HTTP:
// the exporter's config allows http:// only to 127.0.0.1 or localhost.
//
// The npm packages are installed by tests/run.sh into
// <build>/satusehat-server; without node or them the constructor fails the
// running test, naming what is missing.
#ifndef ILP_TESTS_SATUSEHAT_FAKE_SATUSEHAT_H_
#define ILP_TESTS_SATUSEHAT_FAKE_SATUSEHAT_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "ilp/v1/config.pb.h"
#include "nlohmann/json.hpp"
#include "services/satusehat/http_client.h"

namespace ilp::testing {

class FakeSatusehat {
 public:
  enum class Fault {
    k500Before,       // answer 500 without storing
    k500After,        // store, then answer 500
    k429,             // answer 429 with Retry-After
    kDropAfterApply,  // store, then close the connection without an answer
    kStallAfterApply, // store, then never answer: the client's timeout ends it
  };

  // Listening when constructed: waits for the server to print its port. The
  // server dies with the thread that constructed this (PR_SET_PDEATHSIG), so
  // a crashed test leaves none behind.
  FakeSatusehat();
  ~FakeSatusehat();  // kills the server
  FakeSatusehat(const FakeSatusehat&) = delete;
  FakeSatusehat& operator=(const FakeSatusehat&) = delete;

  std::string base_url() const { return base_url_; }
  void AddClient(const std::string& client_id, const std::string& secret, const std::string& org_ihs);
  // A patient SATUSEHAT knows: "system|value" -> IHS number (the Patient's id).
  void AddPatient(const std::string& identifier, const std::string& ihs);
  // Consumed by the next resource or transaction POSTs, one per write.
  void QueueFault(Fault f, int retry_after_s = 0);

  int token_fetches() const;
  // POSTs received for `type`, stored or not; "Bundle" counts transactions
  // (their entries are not counted under their own types).
  int posts(const std::string& type) const;
  // Every transaction Bundle received, as received (applied or not).
  std::vector<nlohmann::json> transactions() const;
  // Resources stored of `type`, in the order they were stored.
  std::vector<nlohmann::json> stored(const std::string& type) const;
  // Stored resources of any type with an identifier system|value.
  int CountIdentifier(const std::string& system, const std::string& value) const;

 private:
  // A control call; its JSON answer, or null after failing the test.
  nlohmann::json Control(const std::string& method, const std::string& path, const nlohmann::json& body) const;
  nlohmann::json State() const;

  pid_t pid_ = -1;
  std::string base_url_;
  std::unique_ptr<satusehat::HttpClient> http_;
};

// The satusehat block of the Puskesmas "pkm-oebobo" (Organization
// 100011961), exporting posyandu "pos-melati" (Location "loc-melati", kader
// visits credited to bidan N10000001), with its client registered at `fake`
// and its secret written (mode 0600) under `dir`.
v1::SatusehatConfig OeboboExport(FakeSatusehat& fake, const std::string& dir);

}  // namespace ilp::testing

#endif  // ILP_TESTS_SATUSEHAT_FAKE_SATUSEHAT_H_
