#include "tests/fuzz/fuzz_node.h"

#include <cstdio>
#include <cstdlib>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/time_util.h"
#include "spdlog/spdlog.h"

namespace ilp::fuzz {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kDefaultResetEvery = 2000;

v1::NodeConfig BaseConfig(const char* id, v1::Tier tier, const char* area) {
  v1::NodeConfig cfg;
  cfg.set_node_id(id);
  cfg.set_tier(tier);
  cfg.add_working_area(area);
  cfg.set_listen_address("127.0.0.1:0");
  cfg.set_data_dir("unused");
  cfg.set_insecure(true);
  cfg.set_max_batch_bytes(16 * 1024);  // small batches: more of them per session
  cfg.set_max_clock_skew_s(300);
  return cfg;
}

std::string CreatePatient(RecordsCore* api, const char* name, const char* village) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(name);
  req.mutable_patient()->mutable_address()->set_village_code(village);
  absl::StatusOr<v1::Patient> p = api->CreatePatient(req);
  Check(p.status(), "seeding a patient");
  return p->id();
}

}  // namespace

v1::NodeConfig ParentConfig() {
  v1::NodeConfig cfg = BaseConfig("pkm-fuzz", v1::PUSKESMAS, "537103");
  v1::ChildConfig* a = cfg.add_children();
  a->set_node_id("pustu-a");
  a->add_working_area("5371031001");
  v1::ChildConfig* b = cfg.add_children();
  b->set_node_id("pustu-b");
  b->add_working_area("5371031002");
  return cfg;
}

v1::NodeConfig ChildConfig() {
  v1::NodeConfig cfg = BaseConfig("pustu-a", v1::PUSTU, "5371031001");
  cfg.set_parent_id("pkm-fuzz");
  cfg.set_parent_address("127.0.0.1:1");
  return cfg;
}

void QuietLogs() {
  spdlog::set_level(spdlog::level::off);
  google::protobuf::SetLogHandler(nullptr);  // null discards
}

void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

void Check(const absl::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, s.ToString().c_str());
  std::abort();
}

FuzzNode::FuzzNode(v1::NodeConfig cfg, int reset_every)
    : cfg_(std::move(cfg)),
      reset_every_(reset_every > 0 ? reset_every
                   : std::getenv("ILP_FUZZ_RESET_EVERY")
                       ? std::max(1, std::atoi(std::getenv("ILP_FUZZ_RESET_EVERY")))
                       : kDefaultResetEvery) {
  Reset();
}

FuzzNode::~FuzzNode() {
  records_.reset();
  store_.reset();
}

void FuzzNode::NextInput() {
  // The first input after a reset finds the store just seeded.
  if (inputs_++ > 0 && (inputs_ - 1) % reset_every_ == 0) Reset();
}

void FuzzNode::Reset() {
  if (store_ != nullptr) Check(store_->Verify(), "store verify before reset");
  records_.reset();
  store_.reset();
  dir_ = std::make_unique<testing::TempDir>();
  clock_.Set(kStartMs);
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(dir_->Sub("data"), &clock_);
  Check(s.status(), "opening the fuzz store");
  store_ = std::move(*s);
  hlc_ = std::make_unique<HybridClock>(&clock_, cfg_.node_id(), cfg_.parent_id().empty(),
                                       int64_t{cfg_.max_clock_skew_s()} * 1000);
  random_ = std::make_unique<SeededRandom>(cfg_.parent_id().empty() ? 1 : 2);  // ids differ per node
  records_ = std::make_unique<RecordsCore>(store_.get(), hlc_.get(), random_.get());
  Check(store_->PutMeta("incarnation", cfg_.node_id() + "-1"), "writing the incarnation");
  Seed();
}

void FuzzNode::Seed() {
  RecordsCore* api = records_.get();
  const bool parent = cfg_.parent_id().empty();
  const std::string p1 = CreatePatient(api, parent ? "Maria Kolo" : "Yosef Bria", "5371031001");
  seeded_.patient = p1;
  seeded_.other_patient = CreatePatient(api, parent ? "Agustina Seran" : "Dina Tefa", parent ? "5371031002" : "5371031001");
  clock_.Advance(1000);
  v1::RecordEncounterRequest enc;
  v1::Encounter* e = enc.mutable_encounter();
  e->set_patient_id(p1);
  e->set_kind(v1::POSYANDU_SESSION);
  e->set_life_stage(v1::TODDLER);
  e->set_performer("Kader Yuliana");
  *e->mutable_time() = TimeUtil::MillisecondsToTimestamp(clock_.NowMs() - 60000);
  absl::StatusOr<v1::RecordEncounterResponse> e_out = api->RecordEncounter(enc);
  Check(e_out.status(), "seeding an encounter");
  seeded_.encounter = e_out->encounter().id();
  v1::CreateReferralRequest ref;
  v1::Referral* r = ref.mutable_referral();
  r->set_patient_id(p1);
  r->set_from_node(parent ? "pkm-fuzz" : "pustu-a");
  r->set_to_node(parent ? "pustu-a" : "pkm-fuzz");
  r->set_reason("weight faltering 2 months");
  absl::StatusOr<v1::Referral> r_out = api->CreateReferral(ref);
  Check(r_out.status(), "seeding a referral");
  seeded_.referral = r_out->id();
  clock_.Advance(1000);
}

}  // namespace ilp::fuzz
