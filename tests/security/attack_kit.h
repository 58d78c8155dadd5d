// Tools for attacking a real ilp-node from a test: a fake child that speaks
// ilp.v1.Sync/Session with whatever certificate and Hello it is given, a
// maker of realistic record deltas (a throwaway store driven through the
// Records API's own core, stamped as any node id), and probes of what a user
// of the attacked node relies on (its change log, its memory, its health).
//
//   FakeChild a(parent.address(), NodeCerts("pustu-a"));
//   DeltaMaker m("pustu-a");
//   v1::Record p = m.CreatePatient("Yohana", "5371031001");
//   SessionResult r = a.Run(HelloAs("pustu-a", 1), {BatchOf(1, {p})});
//   EXPECT_TRUE(r.status.ok());
#ifndef ILP_TESTS_SECURITY_ATTACK_KIT_H_
#define ILP_TESTS_SECURITY_ATTACK_KIT_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/config.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "ilp/v1/state.pb.h"
#include "ilp/v1/sync.grpc.pb.h"
#include "services/records/records_core.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"
#include "tests/common/temp_dir.h"

namespace ilp::testing {

// SSL options trusting TestPki::Default()'s CA and presenting `cert`/`key`
// (PEM file paths; both empty: no client certificate).
grpc::SslCredentialsOptions SslOptions(const std::string& cert_file, const std::string& key_file,
                                       const std::string& ca_file = "");
// As SslOptions, with node `id`'s certificate from TestPki::Default().
grpc::SslCredentialsOptions NodeCerts(const std::string& id);

// A channel of its own (never sharing a connection with another channel).
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& addr,
                                          const std::shared_ptr<grpc::ChannelCredentials>& creds);

// A Hello from child `id` announcing `head` (up_acked 0, empty incarnation:
// a fresh store the parent has never seen, so no restore alarm is raised).
v1::Hello HelloAs(const std::string& id, uint64_t head);

// A Batch moving the receiver's cursor to `cursor`, carrying `records`
// (zstd-compressed ChangeList), marked last.
v1::Batch BatchOf(uint64_t cursor, const std::vector<v1::Record>& records);

struct SessionResult {
  bool welcomed = false;
  v1::Welcome welcome;
  int acked = 0;          // batches the parent acknowledged
  grpc::Status status;    // the session's final status
};

// A client of ilp.v1.Sync that claims to be a child.
class FakeChild {
 public:
  FakeChild(const std::string& addr, const grpc::SslCredentialsOptions& ssl);
  // One session: Hello, then each batch (stopping at the first not
  // acknowledged), then acks the parent's down batches, then ends. 20 s deadline.
  SessionResult Run(const v1::Hello& hello, const std::vector<v1::Batch>& batches);

 private:
  std::unique_ptr<v1::Sync::Stub> stub_;
};

// Makes the deltas node `node_id` would send: a store of its own in a temp
// dir, written through RecordsCore on the system clock.
class DeltaMaker {
 public:
  explicit DeltaMaker(const std::string& node_id);
  ~DeltaMaker();
  // Registers a patient living in `village`; returns the change's delta.
  v1::Record CreatePatient(const std::string& name, const std::string& village);
  // Sets the patient's village (the patient must be known here: made here or Learn()ed).
  v1::Record MoveTo(const std::string& patient_id, const std::string& village);
  // Renames the patient.
  v1::Record Rename(const std::string& patient_id, const std::string& name);
  // Merges another node's delta into this store, as if received from it.
  void Learn(const v1::Record& delta);

 private:
  v1::Record LastDelta();
  TempDir dir_;
  SystemClock clock_;
  SeededRandom random_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HybridClock> hlc_;
  std::unique_ptr<RecordsCore> core_;
  uint64_t read_ = 0;
};

// Every change-log entry of the node at `addr` (read with WatchChanges as the
// operator), serialized in order: equal before and after means no record changed.
std::string ChangeLogBytes(const std::string& addr);

// The node's Admin status, as the operator sees it.
v1::NodeStatus StatusOf(const std::string& addr);
// Its peer `id` (empty state if the node lists none).
v1::PeerState PeerOf(const std::string& addr, const std::string& id);

// VmRSS of process `pid`, bytes (0 if unreadable).
size_t RssBytes(pid_t pid);

// What an ASan build adds to a node's VmRSS, for memory bounds to allow:
// freed blocks held in ASan's quarantine (256 MiB by default), shadow memory
// and redzones. 0 in other builds.
#ifdef ABSL_HAVE_ADDRESS_SANITIZER
inline constexpr size_t kSanitizerRssAllowance = 320u << 20;
#else
inline constexpr size_t kSanitizerRssAllowance = 0;
#endif

// grpc.health.v1.Health/Check for `service` over `channel` within `deadline_ms`:
// OK and *serving set to whether the answer was SERVING.
grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         int deadline_ms, bool* serving);

}  // namespace ilp::testing

#endif  // ILP_TESTS_SECURITY_ATTACK_KIT_H_
