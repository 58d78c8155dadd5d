// Replication up and down the hierarchy (domain scenarios 1, 2, 3, 5, 6),
// on an in-process hierarchy with fake clocks and a seeded, cuttable network.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "storage/merge/view.h"
#include "tests/replication/harness.h"

namespace ilp {
namespace {

using testing::Hierarchy;
using testing::NodeSpec;
using testing::NewPatient;

constexpr int64_t kT0 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
const char kMawar[] = "5371031001";         // pos-mawar's village
const char kMelati[] = "5371031002";        // pos-melati's village

std::vector<NodeSpec> District() {
  return {
      {"dinkes-kupang", v1::DISTRICT, {"5371"}, ""},
      {"pkm-oebobo", v1::PUSKESMAS, {"537103"}, "dinkes-kupang"},
      {"pustu-oetete", v1::PUSTU, {kMawar, kMelati}, "pkm-oebobo"},
      {"pos-mawar", v1::POSYANDU, {kMawar}, "pustu-oetete"},
      {"pos-melati", v1::POSYANDU, {kMelati}, "pustu-oetete"},
  };
}

uint64_t Seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("ILP_SEED");
    uint64_t s = env ? std::strtoull(env, nullptr, 10) : std::random_device()();
    std::printf("replication seed: ILP_SEED=%llu\n", static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

v1::RecordEncounterResponse Weigh(RecordsCore* api, const std::string& patient, double kg,
                                  int64_t now_ms, int observations = 1) {
  v1::RecordEncounterRequest req;
  req.mutable_encounter()->set_patient_id(patient);
  req.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
  *req.mutable_encounter()->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(now_ms);
  for (int i = 0; i < observations; ++i) {
    auto* o = req.add_observations();
    o->set_loinc("29463-7");
    o->set_value(kg);
    o->set_unit("kg");
  }
  absl::StatusOr<v1::RecordEncounterResponse> r = api->RecordEncounter(req);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.value_or(v1::RecordEncounterResponse());
}

TEST(ReplicationTest, GrowthFalteringRoundTripReachesTheDistrictAndComesBack) {
  Hierarchy h(District(), kT0, Seed());
  // Posyandu day, offline: the child is weighed and referred.
  v1::Patient child = NewPatient(h.api("pos-mawar"), "Budi Santoso", kMawar);
  Weigh(h.api("pos-mawar"), child.id(), 7.9, kT0);
  v1::CreateReferralRequest rr;
  rr.mutable_referral()->set_patient_id(child.id());
  rr.mutable_referral()->set_to_node("pkm-oebobo");
  rr.mutable_referral()->set_reason("weight faltering 2 months");
  absl::StatusOr<v1::Referral> ref = h.api("pos-mawar")->CreateReferral(rr);
  ASSERT_TRUE(ref.ok()) << ref.status();

  // Up through the Pustu; the posyandu never talks to the district.
  ASSERT_TRUE(h.Sync("pos-mawar").ok());
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  ASSERT_TRUE(h.Sync("pkm-oebobo").ok());
  v1::ListPatientHistoryRequest hist;
  hist.set_patient_id(child.id());
  absl::StatusOr<v1::ListPatientHistoryResponse> at_district = h.api("dinkes-kupang")->ListPatientHistory(hist);
  ASSERT_TRUE(at_district.ok()) << at_district.status();
  EXPECT_EQ(at_district->items_size(), 3);  // encounter, observation, referral

  // The Puskesmas answers; the answer travels down as a task for the posyandu.
  v1::RespondToReferralRequest answer;
  answer.mutable_response()->set_referral_id(ref->id());
  answer.mutable_response()->set_diagnosis("moderate underweight");
  answer.set_task_description("re-weigh in 2 weeks");
  absl::StatusOr<v1::RespondToReferralResponse> back = h.api("pkm-oebobo")->RespondToReferral(answer);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  ASSERT_TRUE(h.Sync("pos-mawar").ok());
  v1::ListTasksRequest lt;
  absl::StatusOr<v1::ListTasksResponse> tasks = h.api("pos-mawar")->ListTasks(lt);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->tasks_size(), 1);
  EXPECT_EQ(tasks->tasks(0).description(), "re-weigh in 2 weeks");

  // The home-visit outcome goes back up to the district.
  v1::UpdateTaskRequest done;
  done.set_id(tasks->tasks(0).id());
  done.set_to_state(v1::TASK_COMPLETED);
  done.set_note("8.4 kg, eating PMT");
  ASSERT_TRUE(h.api("pos-mawar")->UpdateTask(done).ok());
  h.SyncAll(1);
  v1::ListTasksRequest at;
  at.set_node("pos-mawar");
  at.set_include_closed(true);
  absl::StatusOr<v1::ListTasksResponse> up = h.api("dinkes-kupang")->ListTasks(at);
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->tasks_size(), 1);
  EXPECT_EQ(up->tasks(0).state(), v1::TASK_COMPLETED);
  EXPECT_EQ(up->tasks(0).outcome(), "8.4 kg, eating PMT");
}

TEST(ReplicationTest, ConcurrentEditsAtPosyanduAndPuskesmasBothSurviveEverywhere) {
  Hierarchy h(District(), kT0, Seed());
  v1::Patient baby = NewPatient(h.api("pos-mawar"), "Bayi Ny. Siti", kMawar);
  h.SyncAll(1);
  // Path down: the Puskesmas adds the NIK while the kader, offline, fixes the RT.
  h.Advance(60'000);
  v1::UpdatePatientRequest nik;
  nik.mutable_patient()->set_id(baby.id());
  auto* id = nik.mutable_patient()->add_identifiers();
  id->set_system(v1::NIK);
  id->set_value("5371035011260001");
  nik.mutable_update_mask()->add_paths("identifiers");
  ASSERT_TRUE(h.api("pkm-oebobo")->UpdatePatient(nik).ok());
  v1::UpdatePatientRequest rt;
  rt.mutable_patient()->set_id(baby.id());
  rt.mutable_patient()->mutable_address()->set_rt("7");
  rt.mutable_update_mask()->add_paths("address.rt");
  ASSERT_TRUE(h.api("pos-mawar")->UpdatePatient(rt).ok());
  h.SyncAll(2);
  for (const char* node : {"pos-mawar", "pustu-oetete", "pkm-oebobo", "dinkes-kupang"}) {
    v1::GetPatientRequest get;
    get.set_id(baby.id());
    absl::StatusOr<v1::Patient> p = h.api(node)->GetPatient(get);
    ASSERT_TRUE(p.ok()) << node;
    EXPECT_EQ(p->address().rt(), "7") << node;
    ASSERT_EQ(p->identifiers_size(), 1) << node;
    EXPECT_EQ(p->identifiers(0).value(), "5371035011260001") << node;
  }
  EXPECT_EQ(h.Contents("pos-mawar").at(baby.id()), h.Contents("dinkes-kupang").at(baby.id()));
}

TEST(ReplicationTest, ReferralRaceEndsCompletedEverywhereWithTheCancelInHistory) {
  Hierarchy h(District(), kT0, Seed());
  v1::Patient p = NewPatient(h.api("pustu-oetete"), "Yohanes Lado", kMelati);
  v1::CreateReferralRequest rr;
  rr.mutable_referral()->set_patient_id(p.id());
  rr.mutable_referral()->set_to_node("pkm-oebobo");
  rr.mutable_referral()->set_reason("BP 190/110");
  absl::StatusOr<v1::Referral> ref = h.api("pustu-oetete")->CreateReferral(rr);
  ASSERT_TRUE(ref.ok());
  h.SyncAll(1);
  // The Puskesmas is offline: it accepts and treats; the Pustu cancels later.
  auto move = [&](const char* node, v1::ReferralState s) {
    v1::TransitionReferralRequest t;
    t.set_id(ref->id());
    t.set_to_state(s);
    return h.api(node)->TransitionReferral(t);
  };
  ASSERT_TRUE(move("pkm-oebobo", v1::ACCEPTED).ok());
  ASSERT_TRUE(move("pkm-oebobo", v1::COMPLETED).ok());
  h.Advance(3'600'000);
  ASSERT_TRUE(move("pustu-oetete", v1::CANCELLED).ok());
  h.SyncAll(2);
  for (const char* node : {"pos-melati", "pustu-oetete", "pkm-oebobo", "dinkes-kupang"}) {
    v1::GetReferralRequest get;
    get.set_id(ref->id());
    absl::StatusOr<v1::Referral> r = h.api(node)->GetReferral(get);
    ASSERT_TRUE(r.ok()) << node << ": " << r.status();
    EXPECT_EQ(r->state(), v1::COMPLETED) << node;
    bool cancel_kept = false;
    for (const auto& t : r->history()) cancel_kept |= t.to_state() == v1::CANCELLED && t.superseded();
    EXPECT_TRUE(cancel_kept) << node;
  }
}

TEST(ReplicationTest, ASiblingPosyanduReceivesNothingOutsideItsArea) {
  Hierarchy h(District(), kT0, Seed());
  v1::Patient mawar = NewPatient(h.api("pos-mawar"), "Anak Mawar", kMawar);
  Weigh(h.api("pos-mawar"), mawar.id(), 10.2, kT0);
  v1::Patient melati = NewPatient(h.api("pkm-oebobo"), "Anak Melati", kMelati);
  v1::Patient elsewhere = NewPatient(h.api("dinkes-kupang"), "Warga Lain", "5371041001");
  h.SyncAll(2);
  const auto contents = h.Contents("pos-melati");
  EXPECT_EQ(contents.count(mawar.id()), 0u);
  EXPECT_EQ(contents.count(elsewhere.id()), 0u);
  EXPECT_EQ(contents.count(melati.id()), 1u);
  for (const auto& [id, bytes] : contents) {
    v1::Record r;
    ASSERT_TRUE(r.ParseFromString(bytes));
    if (r.has_patient()) {
      EXPECT_EQ(r.patient().value().address().village_code(), kMelati);
    }
  }
  EXPECT_EQ(h.Contents("pos-mawar").count(melati.id()), 0u);
  EXPECT_EQ(h.Contents("pustu-oetete").count(elsewhere.id()), 0u);
}

TEST(ReplicationTest, APatientWhoMovesBringsTheirRecordsToTheNewArea) {
  Hierarchy h(District(), kT0, Seed());
  v1::Patient p = NewPatient(h.api("pos-mawar"), "Maria Bria", kMawar);
  Weigh(h.api("pos-mawar"), p.id(), 55, kT0);
  h.SyncAll(1);
  ASSERT_EQ(h.Contents("pos-melati").count(p.id()), 0u);
  v1::UpdatePatientRequest move;
  move.mutable_patient()->set_id(p.id());
  move.mutable_patient()->mutable_address()->set_village_code(kMelati);
  move.mutable_update_mask()->add_paths("address.village_code");
  ASSERT_TRUE(h.api("pkm-oebobo")->UpdatePatient(move).ok());
  h.SyncAll(1);
  v1::ListPatientHistoryRequest hist;
  hist.set_patient_id(p.id());
  absl::StatusOr<v1::ListPatientHistoryResponse> at_melati = h.api("pos-melati")->ListPatientHistory(hist);
  ASSERT_TRUE(at_melati.ok()) << at_melati.status();
  EXPECT_EQ(at_melati->patient().address().village_code(), kMelati);
  EXPECT_EQ(at_melati->items_size(), 2);  // encounter + observation came along
}

TEST(ReplicationTest, SessionsCutAtSeededPointsResumeWithNothingLostOrDoubled) {
  Hierarchy h(District(), kT0, Seed(), /*max_batch_bytes=*/4096);
  std::mt19937_64 rng(Seed());
  for (int i = 0; i < 40; ++i) {
    v1::Patient p = NewPatient(h.api("pos-mawar"), absl::StrCat("Anak ", i), kMawar);
    Weigh(h.api("pos-mawar"), p.id(), 9 + i % 5, kT0, /*observations=*/10);
  }
  const size_t want = h.Contents("pos-mawar").size();  // 40 * 12 records
  int cuts = 0;
  for (int attempt = 0; attempt < 200 && h.Contents("pustu-oetete").size() < want; ++attempt) {
    h.dialer("pos-mawar")->CutAfter(1 + static_cast<int>(rng() % 12));
    if (!h.Sync("pos-mawar").ok()) ++cuts;
  }
  // (Sync waits out the parent's "retry later" after a cut.)
  absl::StatusOr<SessionStats> last = h.Sync("pos-mawar");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_GT(cuts, 0);
  EXPECT_EQ(h.Contents("pustu-oetete"), h.Contents("pos-mawar"));
  // Nothing doubled: one change-log entry per change the posyandu made.
  EXPECT_EQ(h.node("pustu-oetete")->store()->LastSeq(), h.node("pos-mawar")->store()->LastSeq());
  EXPECT_TRUE(h.node("pustu-oetete")->store()->Verify().ok());
}

TEST(ReplicationTest, AnIdleSessionCostsAFewHundredBytes) {
  Hierarchy h(District(), kT0, Seed());
  for (int i = 0; i < 50; ++i) NewPatient(h.api("pos-mawar"), absl::StrCat("Anak ", i), kMawar);
  h.SyncAll(2);
  absl::StatusOr<SessionStats> idle = h.Sync("pos-mawar");
  ASSERT_TRUE(idle.ok());
  std::printf("idle session: %llu bytes sent, %llu received (session messages)\n",
              static_cast<unsigned long long>(idle->sent_bytes),
              static_cast<unsigned long long>(idle->received_bytes));
  EXPECT_EQ(idle->sent_changes + idle->received_changes, 0u);
  EXPECT_LT(idle->sent_bytes + idle->received_bytes, 512u);
}

TEST(ReplicationTest, ATenThousandRecordSessionIsCompressedOnTheWire) {
  Hierarchy h(District(), kT0, Seed());
  uint64_t raw = 0;
  for (int i = 0; i < 100; ++i) {
    v1::Patient p = NewPatient(h.api("pos-mawar"), absl::StrCat("Anak ", i), kMawar);
    Weigh(h.api("pos-mawar"), p.id(), 9 + i % 5, kT0, /*observations=*/98);
  }
  absl::StatusOr<std::vector<v1::Change>> log = h.node("pos-mawar")->store()->ReadChanges(0, SIZE_MAX, SIZE_MAX);
  ASSERT_TRUE(log.ok());
  for (const auto& c : *log) raw += c.delta().ByteSizeLong();
  absl::StatusOr<SessionStats> s = h.Sync("pos-mawar");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sent_changes, 10000u);
  std::printf("10,000-record session: %llu bytes sent, %llu received, %llu batches; raw deltas %llu bytes\n",
              (unsigned long long)s->sent_bytes, (unsigned long long)s->received_bytes,
              (unsigned long long)s->sent_batches, (unsigned long long)raw);
  EXPECT_LT(s->sent_bytes, raw);  // zstd batches beat the raw protobuf
  EXPECT_EQ(h.Contents("pustu-oetete"), h.Contents("pos-mawar"));
}

TEST(ReplicationTest, AnUnknownChildIsRefused) {
  std::vector<NodeSpec> specs = {{"pkm-oebobo", v1::PUSKESMAS, {"537103"}, ""},
                                 {"pustu-oetete", v1::PUSTU, {kMawar}, "pkm-oebobo"}};
  Hierarchy h(specs, kT0, Seed());
  // A node that claims a parent that does not list it.
  v1::NodeConfig cfg;
  cfg.set_node_id("pustu-rogue");
  cfg.set_tier(v1::PUSTU);
  cfg.add_working_area(kMawar);
  cfg.set_listen_address("127.0.0.1:0");
  testing::TempDir dir;
  cfg.set_data_dir(dir.Sub("rogue"));
  cfg.set_insecure(true);
  cfg.set_parent_id("pkm-oebobo");
  cfg.set_parent_address(h.node("pkm-oebobo")->address());
  FakeClock clock(kT0);
  SeededRandom random(Seed());
  NodeOptions opts;
  opts.run_replicator = false;
  auto rogue = Node::Start(cfg, &clock, &random, opts);
  ASSERT_TRUE(rogue.ok());
  absl::StatusOr<SessionStats> s = (*rogue)->replicator()->SyncOnce();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kPermissionDenied) << s.status();
  absl::StatusOr<v1::PeerState> peer = (*rogue)->sync()->Peer("pkm-oebobo");
  ASSERT_TRUE(peer.ok());
  EXPECT_NE(peer->last_error().find("not a configured child"), std::string::npos) << peer->last_error();
}

TEST(ReplicationTest, ADeviceSetTo2019LearnsTrustedTimeFromItsParent) {
  Hierarchy h(District(), kT0, Seed());
  h.clock("pos-mawar")->Set(1'546'300'800'000);  // 2019-01-01
  h.SyncAll(1);
  const v1::Stamp s = h.node("pos-mawar")->hlc()->Now();
  EXPECT_GE(s.wall_ms(), kT0);
  EXPECT_GE(s.anchor_ms(), kT0);
}

// Only NOT_FOUND means absent: a peer state that does not parse is damage,
// and the session fails on it instead of starting over from an empty one
// (which would forget the child's incarnation and subtree).
TEST(ReplicationTest, ADamagedPeerStateFailsTheSessionAndMovesNoCursor) {
  Hierarchy h(District(), kT0, Seed());
  NewPatient(h.api("pos-mawar"), "Sebelum", kMawar);
  ASSERT_TRUE(h.Sync("pos-mawar").ok());
  NewPatient(h.api("pos-mawar"), "Sesudah", kMawar);
  Store* pustu = h.node("pustu-oetete")->store();
  const absl::StatusOr<std::string> cursor = pustu->GetMeta("cursor/up/pos-mawar");
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  ASSERT_TRUE(pustu->PutMeta("peer/pos-mawar", "\xff\xff not a PeerState").ok());
  absl::StatusOr<SessionStats> s = h.Sync("pos-mawar");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("peer state does not parse"), absl::string_view::npos)
      << s.status();
  EXPECT_EQ(pustu->GetMeta("cursor/up/pos-mawar").value_or(""), *cursor);
  EXPECT_EQ(h.Contents("pustu-oetete").size() + 1, h.Contents("pos-mawar").size());
}

// Found by the district simulation (tests/sim, seed 20 at size tiny): a
// parent learnt a child's subtree only when a session completed, so after a
// session cut between the batch and the end, it relayed a grandchild's
// records upward without claiming the grandchild, and the district
// quarantined them for good (authorship) while its cursor moved past.
TEST(ReplicationTest, RecordsRelayedFromACutSessionAreAdmittedAtTheTop) {
  Hierarchy h(District(), kT0, Seed());
  v1::Patient p = NewPatient(h.api("pos-mawar"), "Budi Santoso", kMawar);
  ASSERT_TRUE(h.Sync("pos-mawar").ok());
  // Hello, Welcome, the batch and its ack; cut in the down phase, so the
  // session never completes at the parent. (Cutting before the ack was read
  // cancelled the call while the batch could still be in flight, and the
  // test then depended on timing: it failed under load.)
  h.dialer("pustu-oetete")->CutAfter(4);
  EXPECT_FALSE(h.Sync("pustu-oetete").ok());
  ASSERT_TRUE(h.Sync("pkm-oebobo").ok());
  v1::GetPatientRequest get;
  get.set_id(p.id());
  absl::StatusOr<v1::Patient> at_district = h.api("dinkes-kupang")->GetPatient(get);
  ASSERT_TRUE(at_district.ok()) << at_district.status();
  EXPECT_EQ(at_district->name(), "Budi Santoso");
  EXPECT_EQ(h.node("dinkes-kupang")->store()->QuarantineCount(), 0u);
}


// Found by the district simulation (tests/sim, seed 4 at size tiny): a
// child that moved a patient back into its area, unaware they had moved
// away, never received what was written meanwhile: its own move was not
// echoed, so the parent's "send the whole patient" rule never ran.
TEST(ReplicationTest, AChildMovingAPatientBackIntoItsAreaReceivesTheirHistory) {
  Hierarchy h(District(), kT0, Seed());
  v1::Patient p = NewPatient(h.api("pustu-oetete"), "Maria Bere", kMawar);
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  h.Advance(60'000);
  auto move = [&](const char* node, const char* village) {
    v1::UpdatePatientRequest req;
    req.mutable_patient()->set_id(p.id());
    req.mutable_patient()->mutable_address()->set_village_code(village);
    req.mutable_update_mask()->add_paths("address.village_code");
    return h.api(node)->UpdatePatient(req).status();
  };
  ASSERT_TRUE(move("pkm-oebobo", "5371031003").ok());  // out of the Pustu's area
  v1::RecordEncounterResponse visit = Weigh(h.api("pkm-oebobo"), p.id(), 51.5, kT0 + 60'000);
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());  // neither is the Pustu's business now
  h.Advance(60'000);
  ASSERT_TRUE(move("pustu-oetete", kMelati).ok());  // the Pustu still thinks she lives in Mawar
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  const auto pustu = h.Contents("pustu-oetete"), pkm = h.Contents("pkm-oebobo");
  EXPECT_EQ(pustu.count(visit.encounter().id()), 1u);
  EXPECT_EQ(pustu.at(p.id()), pkm.at(p.id()));
}


// Found by the district simulation (tests/sim, seed 7 at size tiny): after a
// lost ack the parent resends from the last acknowledged point, and its
// first batch can end earlier than before (a patient who moved in brings
// records that were filtered out); the child then stored a lower cursor.
TEST(ReplicationTest, AResendAfterALostAckNeverMovesTheCursorBack) {
  Hierarchy h(District(), kT0, Seed(), /*max_batch_bytes=*/1024);
  ASSERT_TRUE(h.Sync("pos-mawar").ok());  // the parent records an acknowledged point
  v1::Patient p = NewPatient(h.api("pustu-oetete"), "Anak Melati", kMelati);
  for (int i = 0; i < 6; ++i) Weigh(h.api("pustu-oetete"), p.id(), 9 + i * 0.1, kT0, 3);
  h.dialer("pos-mawar")->CutAfter(3);  // Hello, Welcome (nothing goes up), the down batch: ack lost
  EXPECT_FALSE(h.Sync("pos-mawar").ok());
  Store* child = h.node("pos-mawar")->store();
  const std::string before = child->GetMeta("cursor/down").value_or("0");
  v1::UpdatePatientRequest moved;
  moved.mutable_patient()->set_id(p.id());
  moved.mutable_patient()->mutable_address()->set_village_code(kMawar);
  moved.mutable_update_mask()->add_paths("address.village_code");
  ASSERT_TRUE(h.api("pustu-oetete")->UpdatePatient(moved).ok());
  h.dialer("pos-mawar")->CutAfter(3);  // the resent first batch, ack lost again
  EXPECT_FALSE(h.Sync("pos-mawar").ok());
  EXPECT_GE(std::stoull(child->GetMeta("cursor/down").value_or("0")), std::stoull(before));
  ASSERT_TRUE(h.Sync("pos-mawar").ok());
  EXPECT_EQ(h.Contents("pos-mawar").size(), 1u + 6 * 4);  // the patient, 6 visits of 3 weighings
}

}  // namespace
}  // namespace ilp
