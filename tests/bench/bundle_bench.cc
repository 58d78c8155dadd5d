// bundle_bench: what a bundle costs against a sync session for the same
// posyandu visits (docs/performance.md, "Bundles"). In one process: a district
// of real node cores (tests/replication/harness.h) on temp stores; the
// posyandu records N visits (N / 20 patients, as ilp-bench), exports a bundle
// for the Puskesmas (skipping its Pustu), the Puskesmas imports it, then the
// posyandu syncs online with its Pustu, which lacks everything: the same
// changes, once by file and once on the wire.
//
//   build/bin/bundle_bench [--visits N] [--seed S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "services/bundle/bundle_desk.h"
#include "services/pki/ca.h"
#include "tests/bench/visits.h"
#include "tests/common/temp_dir.h"
#include "tests/replication/harness.h"

namespace ilp {
namespace {

using testing::Hierarchy;
using testing::NodeSpec;

constexpr int64_t kDayMs = 86'400'000;

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Fail(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "bundle_bench: %s: %s\n", what, std::string(s.message()).c_str());
  return 1;
}

int Run(uint64_t n, uint64_t seed) {
  const std::vector<NodeSpec> district = {
      {"dinkes-kupang", v1::DISTRICT, {"5371"}, ""},
      {"pkm-oebobo", v1::PUSKESMAS, {"537103"}, "dinkes-kupang"},
      {"pustu-oetete", v1::PUSTU, {bench::kVillage}, "pkm-oebobo"},
      {"pos-mawar", v1::POSYANDU, {bench::kVillage}, "pustu-oetete"},
  };
  // Certificates are valid from the real now: the fake clocks start there.
  const int64_t start = absl::ToUnixMillis(absl::Now()) + 60'000;
  Hierarchy h(district, start, seed);
  testing::TempDir ca;
  if (absl::Status s = pki::InitCa(ca.Sub("ca"), "kupang", 30); !s.ok()) return Fail("ca", s);
  absl::StatusOr<std::unique_ptr<pki::CertVerifier>> verifier =
      pki::CertVerifier::Create(ca.Sub("ca/ca.crt"), ca.Sub("ca/crl"));
  if (!verifier.ok()) return Fail("verifier", verifier.status());
  std::map<std::string, std::unique_ptr<bundle::BundleDesk>> desks;
  std::map<std::string, std::string> certs;
  for (const char* id : {"pkm-oebobo", "pos-mawar"}) {
    absl::StatusOr<pki::IssuedCert> c = pki::IssueNode(ca.Sub("ca"), id, {"localhost"}, 30);
    if (!c.ok()) return Fail("issue", c.status());
    bundle::NodeKeys keys{id, testing::ReadFile(c->cert_path), testing::ReadFile(c->key_path)};
    certs[id] = keys.cert_pem;
    Node* node = h.node(id);
    desks[id] = std::make_unique<bundle::BundleDesk>(
        keys, verifier->get(), node->sync(), node->hlc(),
        std::vector<std::string>(node->config().working_area().begin(), node->config().working_area().end()));
  }
  h.SyncAll(1);  // the tree meets once; then the Pustu is out of reach

  RecordsCore* api = h.api("pos-mawar");
  const uint64_t patients = std::max<uint64_t>(10, n / 20);
  std::vector<std::string> ids;
  const uint64_t head0 = h.node("pos-mawar")->store()->LastSeq();
  for (uint64_t i = 0; i < patients; ++i) {
    absl::StatusOr<v1::Patient> p = api->CreatePatient(bench::MakePatient(seed, i));
    if (!p.ok()) return Fail("CreatePatient", p.status());
    ids.push_back(p->id());
  }
  const int64_t now = h.clock("pos-mawar")->NowMs();
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t t = now - 20 * kDayMs + static_cast<int64_t>(i * (20 * kDayMs) / n);
    absl::StatusOr<v1::RecordEncounterResponse> r =
        api->RecordEncounter(bench::MakeVisit(seed, i, ids[i % patients], t));
    if (!r.ok()) return Fail("RecordEncounter", r.status());
  }
  const uint64_t changes = h.node("pos-mawar")->store()->LastSeq() - head0;

  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<bundle::BundleDesk::Exported> e = desks["pos-mawar"]->Export("pkm-oebobo", certs["pkm-oebobo"]);
  if (!e.ok()) return Fail("export", e.status());
  const double export_s = SecondsSince(t0);
  t0 = std::chrono::steady_clock::now();
  absl::StatusOr<bundle::BundleDesk::Imported> in = desks["pkm-oebobo"]->Import(e->file);
  if (!in.ok()) return Fail("import", in.status());
  const double import_s = SecondsSince(t0);
  if (!in->complete || in->receipt_info.changes() != changes) {
    std::fprintf(stderr, "bundle_bench: import applied %llu of %llu changes\n",
                 static_cast<unsigned long long>(in->receipt_info.changes()),
                 static_cast<unsigned long long>(changes));
    return 1;
  }
  t0 = std::chrono::steady_clock::now();
  absl::StatusOr<SessionStats> session = h.Sync("pos-mawar");
  if (!session.ok()) return Fail("session", session.status());
  const double session_s = SecondsSince(t0);

  const double visits = static_cast<double>(n);
  std::printf("visits %llu, patients %llu, changes %llu\n", static_cast<unsigned long long>(n),
              static_cast<unsigned long long>(patients), static_cast<unsigned long long>(changes));
  std::printf("bundle   %10llu bytes, %6.1f per visit, %zu batches; export %.2f s, import %.2f s\n",
              static_cast<unsigned long long>(e->file.size()), e->file.size() / visits, e->batches, export_s,
              import_s);
  std::printf("session  %10llu bytes sent up, %6.1f per visit, %llu batches; %.2f s (in process, no network)\n",
              static_cast<unsigned long long>(session->sent_bytes), session->sent_bytes / visits,
              static_cast<unsigned long long>(session->sent_batches), session_s);
  return 0;
}

}  // namespace
}  // namespace ilp

int main(int argc, char** argv) {
  uint64_t n = 10'000, seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--visits") == 0) {
      n = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--seed") == 0) {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: bundle_bench [--visits N] [--seed S]\n");
      return 2;
    }
  }
  if (n == 0) {
    std::fprintf(stderr, "bundle_bench: --visits must be at least 1\n");
    return 2;
  }
  return ilp::Run(n, seed);
}
