#include "tests/security/attack_kit.h"

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/replication/batch_codec.h"
#include "tests/common/test_pki.h"

namespace ilp::testing {

grpc::SslCredentialsOptions SslOptions(const std::string& cert_file, const std::string& key_file,
                                       const std::string& ca_file) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = Slurp(ca_file.empty() ? TestPki::Default().ca_file() : ca_file);
  if (!cert_file.empty()) o.pem_cert_chain = Slurp(cert_file);
  if (!key_file.empty()) o.pem_private_key = Slurp(key_file);
  return o;
}

grpc::SslCredentialsOptions NodeCerts(const std::string& id) {
  TestPki::Default().NodeTls(id);  // issues DIR/<id>.crt/.key once
  const std::string dir = TestPki::Default().dir();
  return SslOptions(absl::StrCat(dir, "/", id, ".crt"), absl::StrCat(dir, "/", id, ".key"));
}

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& addr,
                                          const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  static std::atomic<int> n{0};
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("ilp.test.channel", ++n);  // distinct args: never a shared connection
  return grpc::CreateCustomChannel(addr, creds, args);
}

v1::Hello HelloAs(const std::string& id, uint64_t head) {
  v1::Hello h;
  h.set_node_id(id);
  h.set_tier(v1::PUSTU);
  h.set_head(head);
  h.set_max_batch_bytes(256 * 1024);
  v1::Stamp* now = h.mutable_now();
  now->set_wall_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
  now->set_node(id);
  return h;
}

v1::Batch BatchOf(uint64_t cursor, const std::vector<v1::Record>& records) {
  v1::ChangeList list;
  for (const v1::Record& r : records) list.add_records(r.SerializeAsString());
  v1::Batch b;
  b.set_cursor(cursor);
  b.set_count(static_cast<uint32_t>(records.size()));
  b.set_last(true);
  absl::StatusOr<std::string> z = CompressPayload(list.SerializeAsString());
  EXPECT_TRUE(z.ok()) << z.status();
  b.set_payload(z.value_or(""));
  return b;
}

FakeChild::FakeChild(const std::string& addr, const grpc::SslCredentialsOptions& ssl)
    : stub_(v1::Sync::NewStub(OwnChannel(addr, grpc::SslCredentials(ssl)))) {}

SessionResult FakeChild::Run(const v1::Hello& hello, const std::vector<v1::Batch>& batches) {
  SessionResult r;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto rw = stub_->Session(&ctx);
  v1::SyncMessage m;
  *m.mutable_hello() = hello;
  auto end = [&] {
    rw->WritesDone();
    r.status = rw->Finish();
    return r;
  };
  if (!rw->Write(m) || !rw->Read(&m) || !m.has_welcome()) return end();
  r.welcomed = true;
  r.welcome = m.welcome();
  for (const v1::Batch& b : batches) {
    v1::SyncMessage out;
    *out.mutable_batch() = b;
    if (!rw->Write(out) || !rw->Read(&m) || !m.has_ack() || m.ack().cursor() != b.cursor()) {
      return end();
    }
    ++r.acked;
  }
  // Down: ack the parent's batches until its last.
  while (rw->Read(&m) && m.has_batch()) {
    v1::SyncMessage ack;
    ack.mutable_ack()->set_cursor(m.batch().cursor());
    if (!rw->Write(ack) || m.batch().last()) break;
  }
  return end();
}

DeltaMaker::DeltaMaker(const std::string& node_id) : random_(std::random_device()()) {
  auto s = Store::Open(dir_.Sub("store"), &clock_);
  EXPECT_TRUE(s.ok()) << s.status();
  store_ = std::move(*s);
  hlc_ = std::make_unique<HybridClock>(&clock_, node_id, /*trusted_time_source=*/true, 300'000);
  core_ = std::make_unique<RecordsCore>(store_.get(), hlc_.get(), &random_);
}

DeltaMaker::~DeltaMaker() = default;

v1::Record DeltaMaker::LastDelta() {
  absl::StatusOr<std::vector<v1::Change>> c = store_->ReadChanges(read_, 1000, 64 << 20);
  EXPECT_TRUE(c.ok() && !c->empty());
  if (!c.ok() || c->empty()) return v1::Record();
  read_ = c->back().seq();
  return c->back().delta();
}

v1::Record DeltaMaker::CreatePatient(const std::string& name, const std::string& village) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(name);
  req.mutable_patient()->set_sex(v1::FEMALE);
  req.mutable_patient()->mutable_address()->set_village_code(village);
  absl::StatusOr<v1::Patient> p = core_->CreatePatient(req);
  EXPECT_TRUE(p.ok()) << p.status();
  return LastDelta();
}

v1::Record DeltaMaker::MoveTo(const std::string& patient_id, const std::string& village) {
  v1::UpdatePatientRequest req;
  req.mutable_patient()->set_id(patient_id);
  req.mutable_patient()->mutable_address()->set_village_code(village);
  req.mutable_update_mask()->add_paths("address.village_code");
  absl::StatusOr<v1::Patient> p = core_->UpdatePatient(req);
  EXPECT_TRUE(p.ok()) << p.status();
  return LastDelta();
}

v1::Record DeltaMaker::Rename(const std::string& patient_id, const std::string& name) {
  v1::UpdatePatientRequest req;
  req.mutable_patient()->set_id(patient_id);
  req.mutable_patient()->set_name(name);
  req.mutable_update_mask()->add_paths("name");
  absl::StatusOr<v1::Patient> p = core_->UpdatePatient(req);
  EXPECT_TRUE(p.ok()) << p.status();
  return LastDelta();
}

void DeltaMaker::Learn(const v1::Record& delta) {
  ApplyRequest req;
  req.deltas.push_back(delta);
  req.via = "elsewhere";
  EXPECT_TRUE(store_->Apply(std::move(req)).ok());
  read_ = store_->LastSeq();
}

std::string ChangeLogBytes(const std::string& addr) {
  auto stub = v1::Records::NewStub(TestPki::Default().Channel(addr));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchChangesRequest req;
  auto reader = stub->WatchChanges(&ctx, req);
  std::string out;
  v1::ChangeEvent ev;
  while (reader->Read(&ev)) absl::StrAppend(&out, ev.seq(), ":", ev.SerializeAsString(), "\n");
  grpc::Status st = reader->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  return out;
}

v1::NodeStatus StatusOf(const std::string& addr) {
  auto stub = v1::Admin::NewStub(TestPki::Default().Channel(addr));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeStatus st;
  grpc::Status s = stub->GetStatus(&ctx, v1::GetStatusRequest(), &st);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return st;
}

v1::PeerState PeerOf(const std::string& addr, const std::string& id) {
  const v1::NodeStatus status = StatusOf(addr);
  for (const v1::PeerStatus& p : status.peers()) {
    if (p.state().node_id() == id) return p.state();
  }
  return v1::PeerState();
}

size_t RssBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    if (!absl::ConsumePrefix(&v, "VmRSS:")) continue;
    v = absl::StripAsciiWhitespace(v);
    absl::ConsumeSuffix(&v, "kB");
    size_t kb = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(v), &kb)) return kb * 1024;
  }
  return 0;
}

grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         int deadline_ms, bool* serving) {
  // HealthCheckRequest{service} is field 1 (bytes); HealthCheckResponse{status}
  // field 1 varint, SERVING = 1.
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  grpc::CompletionQueue cq;
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  grpc::Status status;
  auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", req, &cq);
  call->StartCall();
  call->Finish(&resp, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  std::string bytes;
  if (status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)resp.Dump(&slices);  // an empty response parses as UNKNOWN below
    for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  *serving = bytes == std::string("\x08\x01", 2);
  return status;
}

}  // namespace ilp::testing
