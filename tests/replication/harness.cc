#include "tests/replication/harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/match.h"

namespace ilp::testing {
namespace {

class CuttingStream : public ClientSyncStream {
 public:
  CuttingStream(std::unique_ptr<ClientSyncStream> inner, int budget,
                std::vector<v1::BatchEncoding>* encodings)
      : inner_(std::move(inner)), budget_(budget), encodings_(encodings) {}
  bool Read(v1::SyncMessage* m) override { return Spend() && inner_->Read(m) && Note(*m); }
  bool Write(const v1::SyncMessage& m) override { return Spend() && Note(m) && inner_->Write(m); }
  void WritesDone() override {
    if (!cut_) inner_->WritesDone();
  }
  absl::Status Finish() override {
    absl::Status s = inner_->Finish();
    return cut_ ? absl::UnavailableError("link cut by test") : s;
  }

 private:
  bool Spend() {
    if (budget_ < 0) return true;
    if (budget_ == 0) cut_ = true;
    return budget_-- > 0;
  }
  bool Note(const v1::SyncMessage& m) {
    if (m.has_batch() && m.batch().count() > 0) encodings_->push_back(m.batch().encoding());
    return true;
  }
  std::unique_ptr<ClientSyncStream> inner_;
  int budget_;
  std::vector<v1::BatchEncoding>* encodings_;
  bool cut_ = false;
};

}  // namespace

std::unique_ptr<ClientSyncStream> CuttingDialer::Open() {
  const int n = cut_after_;
  cut_after_ = -1;  // one cut per arming
  return std::make_unique<CuttingStream>(inner_->Open(), n, &encodings_);
}

v1::Patient NewPatient(RecordsCore* api, const std::string& name, const char* village) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(name);
  req.mutable_patient()->mutable_address()->set_village_code(village);
  absl::StatusOr<v1::Patient> p = api->CreatePatient(req);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.value_or(v1::Patient());
}

Hierarchy::Hierarchy(std::vector<NodeSpec> specs, int64_t start_ms, uint64_t seed,
                     uint32_t max_batch_bytes, bool metrics,
                     const std::string& token_public_key_file)
    : specs_(std::move(specs)) {
  std::map<std::string, std::string> address;
  for (const NodeSpec& s : specs_) {
    v1::NodeConfig cfg;
    cfg.set_node_id(s.id);
    cfg.set_tier(s.tier);
    for (const auto& a : s.area) cfg.add_working_area(a);
    cfg.set_listen_address("127.0.0.1:0");
    cfg.set_data_dir(dir_.Sub(s.id));
    cfg.set_insecure(true);  // in-process, loopback only
    if (max_batch_bytes) cfg.set_max_batch_bytes(max_batch_bytes);
    if (metrics) cfg.set_metrics_listen("127.0.0.1:0");
    if (!token_public_key_file.empty()) {
      cfg.mutable_auth()->set_token_public_key_file(token_public_key_file);
    }
    for (const NodeSpec& c : specs_) {
      if (c.parent != s.id) continue;
      v1::ChildConfig* child = cfg.add_children();
      child->set_node_id(c.id);
      for (const auto& a : c.area) child->add_working_area(a);
    }
    if (s.satusehat) *cfg.mutable_satusehat() = *s.satusehat;
    NodeOptions opts;
    opts.run_replicator = false;
    opts.run_satusehat = false;
    if (!s.parent.empty()) {
      cfg.set_parent_id(s.parent);
      cfg.set_parent_address(address.at(s.parent));
      dialers_[s.id] = std::make_unique<CuttingDialer>(
          std::make_unique<GrpcDialer>(address.at(s.parent), grpc::InsecureChannelCredentials(),
                                       60, 1000));
      opts.dialer = dialers_[s.id].get();
    }
    clocks_[s.id] = std::make_unique<FakeClock>(start_ms);
    randoms_[s.id] = std::make_unique<SeededRandom>(seed ^ std::hash<std::string>()(s.id));
    auto node = Node::Start(cfg, clocks_[s.id].get(), randoms_[s.id].get(), opts);
    if (!node.ok()) {
      ADD_FAILURE() << "starting " << s.id << ": " << node.status();
      continue;
    }
    address[s.id] = (*node)->address();
    nodes_[s.id] = std::move(*node);
  }
}

Hierarchy::~Hierarchy() {
  // Children first, so no session is in flight when a parent stops.
  for (auto it = specs_.rbegin(); it != specs_.rend(); ++it) nodes_.erase(it->id);
}

absl::StatusOr<SessionStats> Hierarchy::Sync(const std::string& child) {
  // After a cut link the parent may not have noticed yet that the child's
  // last session is gone, and answers ABORTED "retry later" until it does;
  // the replicator retries, and so does this (the gRPC server's threads
  // notice it, not the test's clocks, hence wall-clock polling).
  absl::StatusOr<SessionStats> r = node(child)->replicator()->SyncOnce();
  for (int i = 0; i < 500 && absl::IsAborted(r.status()) &&
                  absl::StrContains(r.status().message(), "already has a sync session open");
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r = node(child)->replicator()->SyncOnce();
  }
  return r;
}

void Hierarchy::SyncAll(int rounds) {
  for (int r = 0; r < rounds; ++r) {
    for (auto it = specs_.rbegin(); it != specs_.rend(); ++it) {  // bottom-up
      if (!it->parent.empty()) {
        EXPECT_TRUE(Sync(it->id).ok()) << it->id;
      }
    }
    for (const NodeSpec& s : specs_) {  // top-down
      if (!s.parent.empty()) {
        EXPECT_TRUE(Sync(s.id).ok()) << s.id;
      }
    }
  }
}

void Hierarchy::Advance(int64_t ms) {
  for (auto& [id, c] : clocks_) c->Advance(ms);
}

std::map<std::string, std::string> Hierarchy::Contents(const std::string& id) {
  std::map<std::string, std::string> out;
  absl::Status st = node(id)->store()->ForEachRecord(
      [&](const v1::Record& r) { out[r.id()] = r.SerializeAsString(); });
  EXPECT_TRUE(st.ok()) << id << ": " << st;
  return out;
}

}  // namespace ilp::testing
