// The attacked parent of tests/security/attack_*_test.cc: a real
// pkm-oebobo node (children pustu-a and pustu-b) over its real TLS port, and
// the checks every attack test ends with (the change log unchanged, `ilpctl
// verify` clean, the real child still syncing).
#ifndef ILP_TESTS_SECURITY_ATTACK_FIXTURE_H_
#define ILP_TESTS_SECURITY_ATTACK_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "tests/common/node_process.h"
#include "tests/common/temp_dir.h"

namespace ilp::testing {

inline constexpr char kAreaA[] = "5371031001";
inline constexpr char kAreaB[] = "5371032002";
inline constexpr int64_t kYear2100Ms = 4102444800000;  // 2100-01-01T00:00:00Z

// The machine's wall clock, ms.
int64_t NowMs();
// DIR/<id><ext>.
std::string PemFile(const std::string& dir, const std::string& id, const char* ext);
// A copy of the default test CA (same key, so the node trusts what it issues).
std::string CopyOfTestCa(const TempDir& dir);

class AttackTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Starts the attacked parent; `tls_block` replaces the default TLS setup.
  void StartParent(const std::string& tls_block = "",
                   std::vector<std::pair<std::string, std::string>> children = {
                       {"pustu-a", kAreaA}, {"pustu-b", kAreaB}});
  std::unique_ptr<v1::Records::Stub> Api();
  grpc::Status GetPatient(const std::string& id, v1::Patient* out);
  // `ilpctl quarantine -o json` at the parent; its exit code in *exit_code.
  v1::ListQuarantineResponse Quarantine(int* exit_code = nullptr);
  void ExpectVerifies();
  // Runs the real node `id` as a child of the attacked parent: it records
  // `n` patients offline, then dials the parent; returns once the last of
  // them is stored there, and checks the parent raised no alarm about it.
  void ExpectRealChildSyncs(const std::string& id, const std::string& area, int n = 3);

  TempDir dir_;
  std::unique_ptr<NodeProcess> parent_;
  std::string addr_;
};

}  // namespace ilp::testing

#endif  // ILP_TESTS_SECURITY_ATTACK_FIXTURE_H_
