// The SATUSEHAT rules the test endpoint (tests/satusehat/server/server.js)
// adds to its FHIR server library, seen through the exporter's real client:
// the ones exporter_test does not reach on their own (a transaction refused
// at a later entry stores nothing, an invalid resource is refused, patients
// are SATUSEHAT's, one Organization per client for a single POST).
#include <sys/stat.h>

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "services/satusehat/client.h"
#include "services/satusehat/http_client.h"
#include "storage/clock/clock.h"
#include "tests/common/temp_dir.h"
#include "tests/satusehat/fake_satusehat.h"

namespace ilp {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

constexpr char kOrg[] = "100011961";
constexpr char kEncSystem[] = "http://sys-ids.kemkes.go.id/encounter/100011961";
constexpr char kObsSystem[] = "http://sys-ids.kemkes.go.id/observation/100011961";
constexpr char kNikSystem[] = "https://fhir.kemkes.go.id/id/nik";

json Encounter(const std::string& id) {
  return json{{"resourceType", "Encounter"},
              {"status", "finished"},
              {"class", {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "AMB"}}},
              {"identifier", json::array({{{"system", kEncSystem}, {"value", id}}})}};
}

json Observation(const std::string& system, const std::string& id, const std::string& encounter_ref) {
  json o{{"resourceType", "Observation"},
         {"status", "final"},
         {"code", {{"coding", json::array({{{"system", "http://loinc.org"}, {"code", "29463-7"}}})}}},
         {"identifier", json::array({{{"system", system}, {"value", id}}})}};
  if (!encounter_ref.empty()) o["encounter"] = {{"reference", encounter_ref}};
  return o;
}

// A visit as the exporter sends it: the Encounter and one Observation
// pointing at it by urn:uuid.
json Visit(const std::string& enc_id, const std::string& obs_id) {
  const std::string urn = "urn:uuid:01a205b3-d000-7000-8000-000000000001";
  return json{{"resourceType", "Bundle"},
              {"type", "transaction"},
              {"entry", json::array({{{"fullUrl", urn},
                                      {"resource", Encounter(enc_id)},
                                      {"request", {{"method", "POST"}, {"url", "Encounter"}}}},
                                     {{"fullUrl", "urn:uuid:01a205b3-d000-7000-8000-000000000002"},
                                      {"resource", Observation(kObsSystem, obs_id, urn)},
                                      {"request", {{"method", "POST"}, {"url", "Observation"}}}}})}};
}

class SatusehatServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.AddClient("client-oebobo", "s3cret", kOrg);
    server_.AddPatient(absl::StrCat(kNikSystem, "|5371034507900001"), "P02478375538");
    ::ilp::testing::WriteFile(secret_, "s3cret\n");
    ASSERT_EQ(chmod(secret_.c_str(), 0600), 0);
  }

  ::ilp::testing::FakeSatusehat server_;
  ::ilp::testing::TempDir dir_;
  std::string secret_ = dir_.Sub("secret");
  FakeClock clock_{1795392000000};
  satusehat::CurlHttpClient http_{"", absl::Seconds(30)};
  satusehat::Client client_{&http_, &clock_, server_.base_url(), "client-oebobo", secret_};
};

TEST_F(SatusehatServerTest, ATransactionRefusedAtALaterEntryStoresNothing) {
  absl::StatusOr<satusehat::CreateResult> first = client_.Transaction(Visit("enc-1", "obs-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->kind, satusehat::CreateResult::kCreated) << first->reason;
  ASSERT_EQ(first->server_ids.size(), 2u);
  ASSERT_EQ(server_.stored("Observation").size(), 1u);
  EXPECT_EQ(server_.stored("Observation")[0]["encounter"]["reference"],
            absl::StrCat("Encounter/", first->server_ids[0]))
      << "the urn:uuid reference rewritten to the id the server assigned";

  // A new Encounter, but its Observation's identifier is already there: the
  // Encounter, applied first, is rolled back with the refused entry.
  absl::StatusOr<satusehat::CreateResult> second = client_.Transaction(Visit("enc-2", "obs-1"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->kind, satusehat::CreateResult::kDuplicate);
  EXPECT_EQ(server_.stored("Encounter").size(), 1u);
  EXPECT_EQ(server_.CountIdentifier(kEncSystem, "enc-2"), 0);
  absl::StatusOr<std::optional<std::string>> found = client_.FindByIdentifier("Encounter", kEncSystem, "enc-2");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, std::nullopt);
  found = client_.FindByIdentifier("Encounter", kEncSystem, "enc-1");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, first->server_ids[0]);
  EXPECT_EQ(server_.posts("Bundle"), 2);
  EXPECT_EQ(server_.transactions().size(), 2u);
}

TEST_F(SatusehatServerTest, AResourceThatIsNotValidFhirR4IsRefused) {
  json o = Observation(kObsSystem, "obs-1", "");
  o.erase("code");  // required (1..1)
  absl::StatusOr<satusehat::CreateResult> r = client_.Create("Observation", o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, satusehat::CreateResult::kRejected);
  EXPECT_THAT(r->reason, HasSubstr("HTTP 400"));
  EXPECT_THAT(r->reason, HasSubstr("Missing required property"));
  EXPECT_EQ(server_.stored("Observation").size(), 0u);
}

TEST_F(SatusehatServerTest, PatientsAreFoundByNikAndNeverCreatedByAClient) {
  absl::StatusOr<std::optional<std::string>> p = client_.FindPatient(absl::StrCat(kNikSystem, "|5371034507900001"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, "P02478375538");
  p = client_.FindPatient(absl::StrCat(kNikSystem, "|5371030101900003"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, std::nullopt);
  absl::StatusOr<satusehat::CreateResult> r = client_.Create(
      "Patient", json{{"resourceType", "Patient"},
                      {"identifier", json::array({{{"system", kNikSystem}, {"value", "5371030101900003"}}})}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, satusehat::CreateResult::kRejected);
  EXPECT_THAT(r->reason, HasSubstr("HTTP 403"));
}

TEST_F(SatusehatServerTest, OneOrganizationPerClientAndNoSecondIdentifier) {
  absl::StatusOr<satusehat::CreateResult> r =
      client_.Create("Observation", Observation("http://sys-ids.kemkes.go.id/observation/999999", "obs-1", ""));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, satusehat::CreateResult::kRejected);
  EXPECT_EQ(r->reason, "HTTP 403: identifier system is not of this client's organization");

  r = client_.Create("Observation", Observation(kObsSystem, "obs-1", ""));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kind, satusehat::CreateResult::kCreated) << r->reason;
  r = client_.Create("Observation", Observation(kObsSystem, "obs-1", ""));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, satusehat::CreateResult::kDuplicate);
  EXPECT_EQ(server_.CountIdentifier(kObsSystem, "obs-1"), 1);
  EXPECT_EQ(server_.posts("Observation"), 3);
  EXPECT_EQ(server_.token_fetches(), 1);
}

}  // namespace
}  // namespace ilp
