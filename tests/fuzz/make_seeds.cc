// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/):
//   fuzz_seeds OUT_DIR
// Sync sessions are recorded from a real session between a fresh child and
// parent FuzzNode (the state every fuzz store starts in), so a seed replays
// far into the protocol; records requests name the seeded records.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "google/protobuf/util/time_util.h"
#include "services/replication/batch_codec.h"
#include "services/replication/columnar.h"
#include "services/replication/sync_engine.h"
#include "spdlog/spdlog.h"
#include "tests/fuzz/fuzz_node.h"
#include "tests/fuzz/records_calls.h"
#include "tests/fuzz/session_script.h"

namespace ilp::fuzz {
namespace {

// One direction of an in-memory session.
class Pipe {
 public:
  void Push(const v1::SyncMessage& m) {
    std::lock_guard<std::mutex> l(mu_);
    q_.push_back(m);
    cv_.notify_all();
  }
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  bool Pop(v1::SyncMessage* m) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return false;
    *m = std::move(q_.front());
    q_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::SyncMessage> q_;
  bool closed_ = false;
};

// An end of the session that records what it writes as script frames.
class RecordingEnd : public ClientSyncStream {
 public:
  RecordingEnd(Pipe* in, Pipe* out) : in_(in), out_(out) {}
  bool Read(v1::SyncMessage* m) override { return in_->Pop(m); }
  bool Write(const v1::SyncMessage& m) override {
    Frame f;
    v1::SyncMessage copy = m;
    if (copy.has_batch()) {  // stored raw, so mutations reach the records
      batches.push_back(copy.batch());
      absl::StatusOr<std::string> raw = DecompressPayload(copy.batch().payload(), 64u << 20, nullptr);
      Check(raw.status(), "decompressing a recorded batch");
      copy.mutable_batch()->set_payload(*raw);
      f.flags = kFrameRawPayload;
    }
    f.message = copy.SerializeAsString();
    frames.push_back(std::move(f));
    out_->Push(m);
    return true;
  }
  void WritesDone() override { out_->Close(); }
  absl::Status Finish() override { return absl::OkStatus(); }

  std::vector<Frame> frames;
  std::vector<v1::Batch> batches;  // compressed, as sent

 private:
  Pipe* in_;
  Pipe* out_;
};

void WriteSeed(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

void SessionSeeds(const std::filesystem::path& out) {
  FuzzNode parent(ParentConfig(), 1), child(ChildConfig(), 1);
  Pipe up, down;
  RecordingEnd child_end(&down, &up), parent_end(&up, &down);
  std::thread serve([&] {
    Check(SyncEngine(parent.cfg(), parent.store(), parent.hlc()).ServeChildSession(&parent_end, {}),
          "serving the recorded session");
    down.Close();
  });
  Check(SyncEngine(child.cfg(), child.store(), child.hlc()).RunChildSession(&child_end).status(),
        "running the recorded session");
  serve.join();

  const std::filesystem::path dir = out / "sync_session";
  WriteSeed(dir, "serve-pustu-a", EncodeScript({0, child_end.frames}));
  WriteSeed(dir, "serve-pustu-a-authenticated", EncodeScript({kModeAuthenticated, child_end.frames}));
  WriteSeed(dir, "child-of-pkm", EncodeScript({kModeChild, parent_end.frames}));
  WriteSeed(dir, "child-finish-fails", EncodeScript({kModeChild | kModeFinishFails, parent_end.frames}));
  const std::filesystem::path codec = out / "batch_codec";
  const std::filesystem::path columns = out / "columnar";
  int i = 0;
  for (const auto* end : {&child_end, &parent_end}) {
    for (const v1::Batch& b : end->batches) {
      // The codec target reads a compressed ChangeList; the columnar one
      // what a columnar batch decompresses to.
      absl::StatusOr<v1::ChangeList> list = DecodeBatchPayload(b, 64u << 20, nullptr);
      Check(list.status(), "decoding a recorded batch");
      v1::Batch proto;
      Check(EncodeBatchPayload(*list, v1::BATCH_ENCODING_PROTOBUF, &proto), "encoding a batch");
      WriteSeed(codec, "batch-" + std::to_string(i), proto.payload());
      if (list->records_size() > 0) {
        absl::StatusOr<std::string> enc = EncodeColumnar(*list);
        Check(enc.status(), "encoding a recorded batch in columns");
        WriteSeed(columns, "batch-" + std::to_string(i), *enc);
      }
      ++i;
    }
  }
}

void RecordsSeeds(const std::filesystem::path& out) {
  using google::protobuf::util::TimeUtil;
  FuzzNode node(ChildConfig(), 1);
  const SeededIds& ids = node.seeded();
  const std::filesystem::path dir = out / "records_request";
  auto seed = [&](const char* call, const google::protobuf::Message& req) {
    WriteSeed(dir, call, std::string(1, static_cast<char>(RecordsCallIndex(call))) +
                             req.SerializeAsString());
  };
  v1::CreatePatientRequest create;
  create.mutable_patient()->set_name("Siti Nahak");
  create.mutable_patient()->mutable_address()->set_village_code("5371031001");
  seed("CreatePatient", create);
  v1::UpdatePatientRequest update;
  update.mutable_patient()->set_id(ids.patient);
  update.mutable_patient()->set_phone("081234567890");
  update.mutable_update_mask()->add_paths("phone");
  seed("UpdatePatient", update);
  v1::GetPatientRequest get;
  get.set_id(ids.patient);
  get.set_resolve_links(true);
  seed("GetPatient", get);
  v1::FindPatientsRequest find;
  find.set_village_code("5371031001");
  find.set_name_prefix("Yo");
  seed("FindPatients", find);
  v1::LinkPatientsRequest link;
  link.set_duplicate_id(ids.other_patient);
  link.set_survivor_id(ids.patient);
  seed("LinkPatients", link);
  v1::RecordEncounterRequest enc;
  v1::Encounter* e = enc.mutable_encounter();
  e->set_patient_id(ids.patient);
  e->set_kind(v1::POSYANDU_SESSION);
  e->set_life_stage(v1::TODDLER);
  *e->mutable_time() = TimeUtil::MillisecondsToTimestamp(kStartMs);
  v1::Observation* o = enc.add_observations();
  o->set_loinc("29463-7");
  o->set_value(12.5);
  o->set_unit("kg");
  seed("RecordEncounter", enc);
  v1::MarkEnteredInErrorRequest mark;
  mark.set_id(ids.encounter);
  mark.set_reason("wrong child");
  seed("MarkEnteredInError", mark);
  v1::CreateReferralRequest ref;
  ref.mutable_referral()->set_patient_id(ids.patient);
  ref.mutable_referral()->set_from_node("pustu-a");
  ref.mutable_referral()->set_to_node("pkm-fuzz");
  ref.mutable_referral()->set_reason("fever 3 days");
  seed("CreateReferral", ref);
  v1::GetReferralRequest get_ref;
  get_ref.set_id(ids.referral);
  seed("GetReferral", get_ref);
  v1::TransitionReferralRequest tr;
  tr.set_id(ids.referral);
  tr.set_to_state(v1::RECEIVED);
  tr.set_note("arrived");
  seed("TransitionReferral", tr);
  v1::RespondToReferralRequest resp;
  resp.mutable_response()->set_referral_id(ids.referral);
  resp.mutable_response()->set_diagnosis("malaria");
  resp.mutable_response()->set_treatment("ACT 3 days");
  resp.set_task_description("control visit in 7 days");
  seed("RespondToReferral", resp);
  v1::UpdateTaskRequest task;
  task.set_id(ids.referral);
  task.set_to_state(v1::IN_PROGRESS);
  seed("UpdateTask", task);
  v1::ListPatientHistoryRequest hist;
  hist.set_patient_id(ids.patient);
  seed("ListPatientHistory", hist);
  v1::ListTasksRequest tasks;
  tasks.set_node("pustu-a");
  tasks.set_include_closed(true);
  seed("ListTasks", tasks);
}

void ConfigSeeds(const std::filesystem::path& out) {
  const std::filesystem::path dir = out / "config";
  WriteSeed(dir, "puskesmas.textproto", R"(node_id: "pkm-oebobo"
tier: PUSKESMAS
working_area: "537103"
listen_address: "127.0.0.1:7070"
data_dir: "/var/lib/ilp/pkm-oebobo"
metrics_listen: ":9464"
parent_id: "dinkes-kupang"
parent_address: "127.0.0.1:7071"
insecure: true
children { node_id: "pustu-oetete" working_area: "5371031001" working_area: "5371031002" }
max_batch_bytes: 65536
)");
  WriteSeed(dir, "tls.textproto", R"(node_id: "pustu-oetete"
tier: PUSTU
working_area: "5371031001"
listen_address: "10.0.0.2:7070"
data_dir: "/var/lib/ilp/pustu"
tls { ca_file: "pki/ca.crt" cert_file: "pki/pustu.crt" key_file: "pki/pustu.key" crl_dir: "pki/crl" }
)");
  WriteSeed(dir, "district.json",
            R"({"nodeId": "dinkes-kupang", "tier": "DISTRICT", "workingArea": ["5371"],)"
            R"( "listenAddress": "127.0.0.1:7071", "dataDir": "/tmp/d", "insecure": true,)"
            R"( "children": [{"nodeId": "pkm-oebobo", "workingArea": ["537103"]}]})");
}

}  // namespace
}  // namespace ilp::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  ilp::fuzz::SessionSeeds(argv[1]);
  ilp::fuzz::RecordsSeeds(argv[1]);
  ilp::fuzz::ConfigSeeds(argv[1]);
  return 0;
}
