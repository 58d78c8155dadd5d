#include "tests/replication/process_chain.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/common/test_pki.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"

namespace ilp::testing {

std::string NodeConfigText(const std::string& id, const char* tier, const std::string& area,
                           const std::string& data, const std::string& listen,
                           const std::string& parent_id, const std::string& parent_addr,
                           const std::vector<std::pair<std::string, std::string>>& children) {
  std::string c = absl::StrCat("node_id: \"", id, "\"\ntier: ", tier, "\nlisten_address: \"",
                               listen, "\"\ndata_dir: \"", data, "\"\nsync_interval_s: 1\n");
  for (absl::string_view a : absl::StrSplit(area, ',')) absl::StrAppend(&c, "working_area: \"", a, "\"\n");
  if (!parent_id.empty()) {
    absl::StrAppend(&c, "parent_id: \"", parent_id, "\"\nparent_address: \"", parent_addr, "\"\n");
  }
  for (const auto& [cid, carea] : children) {
    absl::StrAppend(&c, "children { node_id: \"", cid, "\"");
    for (absl::string_view a : absl::StrSplit(carea, ',')) absl::StrAppend(&c, " working_area: \"", a, "\"");
    absl::StrAppend(&c, " }\n");
  }
  return c;
}

std::unique_ptr<v1::Records::Stub> RecordsStub(const std::string& addr) {
  return v1::Records::NewStub(TestPki::Default().Channel(addr));
}

namespace {

// Reads a node's change log after `after` through WatchChanges (until caught
// up), calling `fn` for each event; fails the test if the stream fails.
template <typename Fn>
void ReadLog(v1::Records::Stub* stub, uint64_t after, Fn fn) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::WatchChangesRequest req;
  req.set_after_seq(after);
  auto reader = stub->WatchChanges(&ctx, req);
  v1::ChangeEvent ev;
  while (reader->Read(&ev)) fn(ev);
  const grpc::Status st = reader->Finish();
  EXPECT_TRUE(st.ok()) << "WatchChanges: " << st.error_message();
}

}  // namespace

uint64_t ChangeLogHead(v1::Records::Stub* stub, uint64_t after) {
  uint64_t head = after;
  ReadLog(stub, after, [&](const v1::ChangeEvent& ev) { head = ev.seq(); });
  return head;
}

uint64_t RecordEntries(v1::Records::Stub* stub) {
  uint64_t count = 0;
  ReadLog(stub, 0, [&](const v1::ChangeEvent&) { ++count; });
  return count;
}

std::map<std::string, std::string> StoreContents(const std::string& data_dir) {
  SystemClock clock;
  std::map<std::string, std::string> out;
  auto store = Store::Open(data_dir, &clock);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return out;
  EXPECT_TRUE((*store)->Verify().ok()) << data_dir;
  absl::Status st =
      (*store)->ForEachRecord([&](const v1::Record& r) { out[r.id()] = r.SerializeAsString(); });
  EXPECT_TRUE(st.ok()) << data_dir << ": " << st;
  return out;
}

std::string CreatePatientAt(v1::Records::Stub* api, const std::string& name, const std::string& village) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(name);
  req.mutable_patient()->mutable_address()->set_village_code(village);
  v1::Patient p;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = api->CreatePatient(&ctx, req, &p);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return p.id();
}

bool HasPatient(v1::Records::Stub* api, const std::string& id) {
  v1::GetPatientRequest req;
  req.set_id(id);
  v1::Patient p;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return api->GetPatient(&ctx, req, &p).ok();
}

bool WaitUntil(const std::function<bool()>& done, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

bool NodeSet::StartAll() {
  for (const Spec& s : specs_) {
    if (!Start(s.id)) return false;
  }
  return true;
}

bool NodeSet::Start(const std::string& id) {
  const Spec& s = spec(id);
  const std::string parent_addr = s.parent.empty() ? "" : addr_.at(s.parent);
  const std::string listen = addr_.count(id) ? addr_.at(id) : "127.0.0.1:0";
  std::filesystem::create_directories(dir_.Sub(id));
  auto p = std::make_unique<NodeProcess>(
      dir_.Sub(id),
      NodeConfigText(id, s.tier, s.area, DataDir(id), listen, s.parent, parent_addr, s.children));
  p->set_wrapper(s.wrapper);
  if (!p->Start()) return false;
  addr_[id] = p->address();
  api_[id] = RecordsStub(p->address());
  procs_[id] = std::move(p);
  return true;
}

const NodeSet::Spec& NodeSet::spec(const std::string& id) const {
  for (const Spec& s : specs_) {
    if (s.id == id) return s;
  }
  ADD_FAILURE() << "no node " << id;
  std::abort();
}

DistrictChain::DistrictChain() {
  specs_ = {
      {"dinkes-kupang", "DISTRICT", "5371", "", {{"pkm-oebobo", "537103"}}},
      {"pkm-oebobo", "PUSKESMAS", "537103", "dinkes-kupang", {{"pustu-oetete", "5371031001,5371031002"}}},
      {"pustu-oetete", "PUSTU", "5371031001,5371031002", "pkm-oebobo",
       {{"pos-mawar", "5371031001"}, {"pos-melati", "5371031002"}}},
      {"pos-mawar", "POSYANDU", "5371031001", "pustu-oetete", {}},
      {"pos-melati", "POSYANDU", "5371031002", "pustu-oetete", {}},
  };
}

bool DistrictChain::Launch(const Spec& s, const std::string& listen, bool link_up) {
  std::filesystem::create_directories(dir_.Sub(s.id));
  const std::string parent_addr = s.parent.empty() ? "" : (link_up ? addr_.at(s.parent) : "127.0.0.1:1");
  auto p = std::make_unique<NodeProcess>(
      dir_.Sub(s.id), NodeConfigText(s.id, s.tier, s.area, DataDir(s.id), listen, s.parent,
                                      parent_addr, s.children));
  if (!p->Start()) return false;
  addr_[s.id] = p->address();
  stubs_[s.id] = RecordsStub(p->address());
  procs_[s.id] = std::move(p);
  return true;
}

bool DistrictChain::Start() {
  for (const Spec& s : specs_) {
    if (!Launch(s, "127.0.0.1:0", true)) return false;
  }
  return true;
}

bool DistrictChain::SetLink(const std::string& node, bool up) {
  for (const Spec& s : specs_) {
    if (s.id != node) continue;
    if (procs_[node]->Stop() != 0) return false;
    return Launch(s, addr_.at(node), up);
  }
  return false;
}

v1::Records::Stub* DistrictChain::api(const std::string& node) { return stubs_.at(node).get(); }

void DistrictChain::StopAll() {
  for (auto it = specs_.rbegin(); it != specs_.rend(); ++it) {
    if (procs_.count(it->id)) {
      EXPECT_EQ(procs_[it->id]->Stop(), 0) << it->id;
    }
  }
}

}  // namespace ilp::testing
