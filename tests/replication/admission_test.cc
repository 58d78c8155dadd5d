// What a parent accepts from a child (services/replication/admission.h):
// each rule accepts the honest delta and refuses the forged one with its code
// and a message naming the rule.
#include "services/replication/admission.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/records/validate.h"
#include "storage/merge/view.h"

namespace ilp {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'795'392'000'000;      // 2026-11-23T00:00:00Z
constexpr int64_t kDay = 86'400'000;
constexpr int64_t kYear2100 = 4'102'444'800'000;  // 2100-01-01
constexpr char kId[] = "019ab000-0000-7000-8000-000000000001";
constexpr char kMawar[] = "5371031001";           // pos-mawar's village
constexpr char kElsewhere[] = "5371042003";       // another puskesmas's village

v1::Stamp S(const std::string& node, int64_t wall = kNow - 60'000, int64_t anchor = kNow - 120'000) {
  v1::Stamp s;
  s.set_node(node);
  s.set_wall_ms(wall);
  s.set_anchor_ms(anchor);
  return s;
}

// A patient create as RecordsCore builds it: created, one version per field
// set, one identifier element.
v1::Record NewPatient(const std::string& node, const std::string& village, v1::Stamp s = {}) {
  if (s.node().empty()) s = S(node);
  v1::Record r;
  r.set_id(kId);
  *r.mutable_created() = s;
  v1::PatientState* st = r.mutable_patient();
  for (const char* f : {"name", "address.village_code"}) {
    v1::FieldVersion* v = st->add_versions();
    v->set_field(f);
    *v->mutable_stamp() = s;
  }
  st->mutable_value()->set_name("Maria Goreti Bano");
  st->mutable_value()->mutable_address()->set_village_code(village);
  v1::Identifier nik;
  nik.set_system(v1::NIK);
  nik.set_value("5371034507900001");
  v1::SetElement* e = st->add_elements();
  e->set_field(kIdentifiersSet);
  e->set_key(IdentifierKey(nik));
  e->set_value(nik.SerializeAsString());
  *e->mutable_value_stamp() = s;
  *e->add_adds() = s;
  return r;
}

// An edit of one LWW field, as UpdatePatient builds it.
v1::Record EditField(const std::string& field, const std::string& value, const v1::Stamp& s,
                     const v1::Stamp& base) {
  v1::Record r;
  r.set_id(kId);
  v1::FieldVersion* v = r.mutable_patient()->add_versions();
  v->set_field(field);
  *v->mutable_stamp() = s;
  *v->mutable_base() = base;
  if (field == "name") r.mutable_patient()->mutable_value()->set_name(value);
  if (field == "address.village_code") {
    r.mutable_patient()->mutable_value()->mutable_address()->set_village_code(value);
  }
  return r;
}

ChildTrust PustuTrust() {
  ChildTrust t;
  t.child_id = "pustu-oetete";
  t.writers = {"pustu-oetete", "pos-mawar", "pos-melati"};
  t.area = {kMawar, "5371031002"};
  t.now_ms = kNow;
  return t;
}

void ExpectRefused(const absl::Status& s, absl::StatusCode code, const std::string& rule,
                   const std::string& field) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(rule + ": ")) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(field)) << s;
}

TEST(AdmissionTest, AnHonestNewPatientFromTheSubtreeIsAccepted) {
  EXPECT_TRUE(AdmitFromChild(NewPatient("pos-mawar", kMawar), nullptr, PustuTrust()).ok());
  EXPECT_TRUE(AdmitFromChild(NewPatient("pustu-oetete", kMawar), nullptr, PustuTrust()).ok());
}

TEST(AdmissionTest, AWriteStampedByANodeOutsideTheSubtreeIsRefusedAsForgedAuthorship) {
  absl::Status s = AdmitFromChild(NewPatient("pos-other-district", kMawar), nullptr, PustuTrust());
  ExpectRefused(s, absl::StatusCode::kPermissionDenied, "authorship", "record.created.node");
  // One forged stamp among honest ones is enough.
  v1::Record r = NewPatient("pos-mawar", kMawar);
  *r.mutable_patient()->mutable_elements(0)->add_adds() = S("dinkes-kupang");
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kPermissionDenied,
                "authorship", "record.patient.elements[0].adds[1].node");
}

TEST(AdmissionTest, ObservedStampsOfOtherWritersAreNotAuthorship) {
  // The child overwrites a value the puskesmas wrote: the base names the puskesmas.
  v1::Stamp pkm = S("pkm-oebobo", kNow - kDay, kNow - kDay);
  v1::Record edit = EditField("name", "Maria G. Bano", S("pos-mawar"), pkm);
  v1::Record stored = NewPatient("pos-mawar", kMawar);
  EXPECT_TRUE(AdmitFromChild(edit, &stored, PustuTrust()).ok());
  // A remove lists the adds it saw, whoever made them.
  v1::Record rm;
  rm.set_id(kId);
  v1::SetElement* e = rm.mutable_patient()->add_elements();
  e->set_field(kIdentifiersSet);
  e->set_key("NIK:5371034507900001");
  *e->add_removes() = pkm;
  EXPECT_TRUE(AdmitFromChild(rm, &stored, PustuTrust()).ok());
  // Observed stamps must still be sane.
  e->mutable_removes(0)->set_node("bad node/..");
  ExpectRefused(AdmitFromChild(rm, &stored, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.patient.elements[0].removes[0].node");
}

TEST(AdmissionTest, AnAnchorIn2100IsRefused) {
  absl::Status s = AdmitFromChild(NewPatient("pos-mawar", kMawar, S("pos-mawar", kNow, kYear2100)),
                                  nullptr, PustuTrust());
  ExpectRefused(s, absl::StatusCode::kInvalidArgument, "time", "anchor_ms");
  // Within max_clock_skew of the receiver's now is fine.
  EXPECT_TRUE(AdmitFromChild(NewPatient("pos-mawar", kMawar, S("pos-mawar", kNow, kNow + 299'000)),
                             nullptr, PustuTrust()).ok());
}

TEST(AdmissionTest, AWallClockAYearAheadWithAnHonestAnchorIsAccepted) {
  const v1::Stamp fast = S("pos-mawar", kNow + 365 * kDay, kNow - kDay);
  EXPECT_TRUE(AdmitFromChild(NewPatient("pos-mawar", kMawar, fast), nullptr, PustuTrust()).ok());
  // Its encounter, timed by the same fast clock, too (dates may lead by 366 days).
  v1::Record enc;
  enc.set_id("019ab000-0000-7000-8000-000000000002");
  *enc.mutable_created() = fast;
  v1::Encounter* e = enc.mutable_encounter();
  e->set_patient_id(kId);
  e->set_kind(v1::POSYANDU_SESSION);
  e->set_node("pos-mawar");
  *e->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(kNow + 365 * kDay);
  EXPECT_TRUE(AdmitFromChild(enc, nullptr, PustuTrust()).ok());
  // The API keeps its one-day rule for the same record.
  absl::Status api = ValidateRecord(enc, kNow, kApiFutureSlackMs);
  EXPECT_EQ(api.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(api.message()), HasSubstr("record.encounter.time"));
}

TEST(AdmissionTest, NegativeTimesAndBadNodeIdsInStampsAreRefused) {
  ExpectRefused(AdmitFromChild(NewPatient("pos-mawar", kMawar, S("pos-mawar", -5, 0)), nullptr,
                               PustuTrust()),
                absl::StatusCode::kInvalidArgument, "content", "record.created.wall_ms");
  ExpectRefused(AdmitFromChild(NewPatient("pos-mawar", kMawar, S("pos-mawar", kNow, -1)), nullptr,
                               PustuTrust()),
                absl::StatusCode::kInvalidArgument, "content", "record.created.anchor_ms");
}

TEST(AdmissionTest, AnEditOrMoveOfAPatientOutsideTheAreaNotRegisteredBelowIsRefused) {
  const v1::Record stored = NewPatient("pkm-oebobo", kElsewhere);
  const v1::Stamp base = stored.created();
  ExpectRefused(AdmitFromChild(EditField("name", "Someone Else", S("pos-mawar"), base), &stored,
                               PustuTrust()),
                absl::StatusCode::kPermissionDenied, "scope",
                absl::StrCat("patient ", kId, " lives outside child's area"));
  // Moving the patient into the child's area is an edit of it too.
  ExpectRefused(AdmitFromChild(EditField("address.village_code", kMawar, S("pos-mawar"), base),
                               &stored, PustuTrust()),
                absl::StatusCode::kPermissionDenied, "scope", "was not registered by its subtree");
}

TEST(AdmissionTest, AnEditOfAPatientInTheAreaIsAccepted) {
  const v1::Record stored = NewPatient("pkm-oebobo", kMawar);
  EXPECT_TRUE(AdmitFromChild(EditField("name", "Maria G.", S("pos-mawar"), stored.created()),
                             &stored, PustuTrust()).ok());
  // Moving one's own patient away is allowed too.
  EXPECT_TRUE(AdmitFromChild(EditField("address.village_code", kElsewhere, S("pos-mawar"),
                                       stored.created()),
                             &stored, PustuTrust()).ok());
}

TEST(AdmissionTest, APatientRegisteredBelowButLivingElsewhereMayBeEdited) {
  const v1::Record stored = NewPatient("pos-melati", kElsewhere);
  EXPECT_TRUE(AdmitFromChild(EditField("name", "Maria G.", S("pos-mawar"), stored.created()),
                             &stored, PustuTrust()).ok());
}

TEST(AdmissionTest, AVisitorRegisteredBelowFromAnywhereIsAccepted) {
  EXPECT_TRUE(AdmitFromChild(NewPatient("pos-mawar", kElsewhere), nullptr, PustuTrust()).ok());
}

TEST(AdmissionTest, AnOversizedNameIsRefusedByTheRecordsApiRules) {
  v1::Record r = NewPatient("pos-mawar", kMawar);
  r.mutable_patient()->mutable_value()->set_name(std::string(201, 'x'));
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.patient.value.name: must be at most 200 bytes");
}

TEST(AdmissionTest, ARecordWithNoKindIsRefused) {
  v1::Record r;
  r.set_id(kId);
  *r.mutable_created() = S("pos-mawar");
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.body");
}

// The district revokes tokens and the revocation flows down: one arriving from
// below would be a stolen posyandu key shutting out the district's apps.
TEST(AdmissionTest, ATokenRevocationFromBelowIsRefused) {
  v1::Record r;
  r.set_id(kId);
  *r.mutable_created() = S("pos-mawar");
  r.mutable_revocation()->set_jti("jti-of-the-district-dashboard");
  r.mutable_revocation()->set_revoked_by("pos-mawar");
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kPermissionDenied, "kind",
                "revocations come only from above");
}

TEST(AdmissionTest, AnIdThatIsNotAUuidIsRefused) {
  v1::Record r = NewPatient("pos-mawar", kMawar);
  r.set_id("not-a-uuid/../x");
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.id");
}

TEST(AdmissionTest, TenThousandIdentifiersAreRefused) {
  v1::Record r = NewPatient("pos-mawar", kMawar);
  const v1::Stamp s = r.created();
  for (int i = 0; i < 10000; ++i) {
    v1::Identifier id;
    id.set_system(v1::IHS);
    id.set_value(absl::StrCat("P", i));
    v1::SetElement* e = r.mutable_patient()->add_elements();
    e->set_field(kIdentifiersSet);
    e->set_key(IdentifierKey(id));
    e->set_value(id.SerializeAsString());
    *e->mutable_value_stamp() = s;
    *e->add_adds() = s;
  }
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.patient.elements: at most 256");
}

TEST(AdmissionTest, ASetElementIsParsedAndCheckedLikeTheApiInput) {
  v1::Record r = NewPatient("pos-mawar", kMawar);
  v1::Identifier bad;
  bad.set_system(v1::NIK);
  bad.set_value("123");
  r.mutable_patient()->mutable_elements(0)->set_value(bad.SerializeAsString());
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.patient.elements[0].value.value: a NIK must be 16 digits");
  r = NewPatient("pos-mawar", kMawar);
  r.mutable_patient()->mutable_elements(0)->set_key("NIK:0000000000000000");
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.patient.elements[0].key");
}

TEST(AdmissionTest, AValueFieldNoVersionNamesAndAnUnknownFieldAreRefused) {
  v1::Record r = NewPatient("pos-mawar", kMawar);
  r.mutable_patient()->mutable_value()->set_phone("+6281234567890");
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.patient.value.phone: is set but no version names it");
  r = NewPatient("pos-mawar", kMawar);
  r.mutable_patient()->mutable_versions(0)->set_field("colour");
  ExpectRefused(AdmitFromChild(r, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.patient.versions[0].field: unknown patient field");
}

TEST(AdmissionTest, ADeltaCannotChangeTheKindOfAStoredRecord) {
  v1::Record stored;
  stored.set_id(kId);
  stored.mutable_referral();
  ExpectRefused(AdmitFromChild(NewPatient("pos-mawar", kMawar), &stored, PustuTrust()),
                absl::StatusCode::kInvalidArgument, "kind", "is a referral here");
}

TEST(AdmissionTest, AReferralMoveByTheSubtreeIsAcceptedAndAForgedOneRefused) {
  v1::Record move;
  move.set_id(kId);
  move.mutable_referral();
  v1::Move* m = move.add_moves();
  m->set_to_state(v1::CANCELLED);
  m->set_note("family moved");
  *m->mutable_stamp() = S("pos-mawar");
  EXPECT_TRUE(AdmitFromChild(move, nullptr, PustuTrust()).ok());
  *m->mutable_stamp() = S("rsud-kupang");
  ExpectRefused(AdmitFromChild(move, nullptr, PustuTrust()), absl::StatusCode::kPermissionDenied,
                "authorship", "record.moves[0].stamp.node");
  // Content rides only with the create: a move may not carry a body.
  *m->mutable_stamp() = S("pos-mawar");
  move.mutable_referral()->set_to_node("pos-mawar");
  ExpectRefused(AdmitFromChild(move, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.referral: content travels only with the create");
}

// The caps leave room for every valid API write: the largest is an update
// that sets every field at its longest and replaces full sets.
TEST(ValidateRecordTest, TheLargestApiPatientUpdateFitsTheCaps) {
  const std::string node(64, 'n');
  const v1::Stamp s = S(node, 4'000'000'000'000, 4'000'000'000'000);
  v1::Stamp base = s;
  base.set_logical(4'000'000'000u);
  v1::Record r;
  r.set_id(kId);
  v1::PatientState* st = r.mutable_patient();
  v1::Patient* p = st->mutable_value();
  p->set_name(std::string(200, 'a'));
  p->mutable_birth_date()->set_year(2000);
  p->mutable_birth_date()->set_month(1);
  p->mutable_birth_date()->set_day(1);
  p->set_birth_date_precision(v1::DAY);
  p->set_sex(v1::FEMALE);
  p->mutable_address()->set_village_code(kMawar);
  p->mutable_address()->set_dusun(std::string(100, 'd'));
  p->mutable_address()->set_rw("001");
  p->mutable_address()->set_rt("002");
  p->mutable_address()->set_line(std::string(300, 'l'));
  p->set_phone("+628123456789012");
  p->set_deceased(true);
  *p->mutable_deceased_date() = p->birth_date();
  p->set_same_as("019ab000-0000-7000-8000-000000000009");
  for (const std::string& f : PatientLwwFields()) {
    v1::FieldVersion* v = st->add_versions();
    v->set_field(f);
    *v->mutable_stamp() = s;
    *v->mutable_base() = base;
  }
  auto add = [&](const char* field, const std::string& key, const std::string& value) {
    v1::SetElement* e = st->add_elements();
    e->set_field(field);
    e->set_key(key);
    e->set_value(value);
    *e->mutable_value_stamp() = s;
    *e->add_adds() = s;
  };
  auto remove = [&](const char* field, const std::string& key) {
    v1::SetElement* e = st->add_elements();
    e->set_field(field);
    e->set_key(key);
    *e->add_removes() = base;
    *e->add_removes() = s;
  };
  for (int i = 0; i < RecordLimits::kMaxIdentifiers; ++i) {
    v1::Identifier id;
    id.set_system(v1::IHS);
    id.set_value(absl::StrCat(std::string(29, 'P'), 100 + i));
    id.set_verified(true);
    add(kIdentifiersSet, IdentifierKey(id), id.SerializeAsString());
    remove(kIdentifiersSet, absl::StrCat("IHS:", std::string(29, 'Q'), 100 + i));
  }
  for (int i = 0; i < RecordLimits::kMaxAllergies; ++i) {
    v1::Allergy a;
    a.set_code(absl::StrCat(std::string(61, 'c'), 100 + i));
    a.set_text(std::string(RecordLimits::kMaxAllergyText, 't'));
    add(kAllergiesSet, a.code(), a.SerializeAsString());
    remove(kAllergiesSet, absl::StrCat(std::string(61, 'r'), 100 + i));
  }
  for (int i = 0; i < RecordLimits::kMaxHouseholdMembers; ++i) {
    const std::string m = absl::StrCat("019ab000-0000-7000-8000-000000000", 100 + i);
    add(kHouseholdSet, m, m);
    remove(kHouseholdSet, absl::StrCat("019ab000-0000-7000-8000-000000001", 100 + i));
  }
  absl::Status ok = ValidateRecord(r, kNow, kApiFutureSlackMs);
  EXPECT_TRUE(ok.ok()) << ok;
  EXPECT_LT(r.ByteSizeLong(), RecordLimits::kMaxBytes) << r.ByteSizeLong();  // about 50 KiB
}

TEST(AdmissionTest, BelievedSubtreeDropsClaimsThatCannotBeTrue) {
  KnownTopology topo;
  topo.self_id = "pkm-oebobo";
  topo.parent_id = "dinkes-kupang";
  topo.children = {"pustu-oetete", "pustu-naikoten"};
  topo.believed["pustu-naikoten"] = {"pos-anggrek"};
  std::vector<std::string> refused;
  std::set<std::string> got = BelievedSubtree(
      "pustu-oetete",
      {"pos-mawar", "pos-melati", "pkm-oebobo", "dinkes-kupang", "pustu-naikoten", "pos-anggrek",
       "pustu-oetete", "bad id/..", "pos-mawar"},
      topo, &refused);
  EXPECT_EQ(got, (std::set<std::string>{"pos-mawar", "pos-melati"}));
  EXPECT_THAT(refused, ::testing::ElementsAre(
                           "pkm-oebobo: is this node", "dinkes-kupang: is this node's parent",
                           "pustu-naikoten: is another configured child of this node",
                           "pos-anggrek: is already in the subtree of child pustu-naikoten",
                           "pustu-oetete: is the child itself", "bad id/..: not a valid node id"));
}

// An external id (a SATUSEHAT server id) as the exporter writes it: the
// record's id, an empty body of its kind, one element stamped by its node.
v1::Record ExternalIdDelta(const std::string& node, int n = 1) {
  v1::Record d;
  d.set_id("019ab000-0000-7000-8000-000000000002");
  d.mutable_encounter();
  for (int i = 0; i < n; ++i) {
    v1::ExternalId* x = d.add_external_ids();
    x->set_system("https://api-satusehat.kemkes.go.id/fhir-r4/v1/Encounter");
    x->set_value(absl::StrCat("b2a1c3d4-0000-4000-8000-", 100000000000 + i));
    *x->mutable_stamp() = S(node);
  }
  return d;
}

TEST(AdmissionTest, ExternalIdsAreBoundedCheckedAndStampedLikeEveryWrite) {
  EXPECT_TRUE(AdmitFromChild(ExternalIdDelta("pustu-oetete"), nullptr, PustuTrust()).ok());
  EXPECT_TRUE(AdmitFromChild(ExternalIdDelta("pos-mawar", 16), nullptr, PustuTrust()).ok());
  ExpectRefused(AdmitFromChild(ExternalIdDelta("pos-mawar", 17), nullptr, PustuTrust()),
                absl::StatusCode::kInvalidArgument, "content",
                "record.external_ids: at most 16 external ids, got 17");
  struct Bad {
    void (*spoil)(v1::ExternalId*);
    std::string field;
  };
  for (const Bad& b : std::vector<Bad>{
           {[](v1::ExternalId* x) { x->set_system(""); }, "record.external_ids[1].system: is required"},
           {[](v1::ExternalId* x) { x->set_system("Encounter"); }, "record.external_ids[1].system: must be an absolute URI"},
           {[](v1::ExternalId* x) { x->set_system("https://x/" + std::string(300, 'a')); },
            "record.external_ids[1].system: must be at most 256 bytes"},
           {[](v1::ExternalId* x) { x->set_value(""); }, "record.external_ids[1].value: is required"},
           {[](v1::ExternalId* x) { x->set_value(std::string(129, '1')); },
            "record.external_ids[1].value: must be at most 128 bytes"},
           {[](v1::ExternalId* x) { x->set_value("a b"); }, "record.external_ids[1].value: must be printable ASCII"},
           {[](v1::ExternalId* x) { x->clear_stamp(); }, "record.external_ids[1].stamp: is required"},
           {[](v1::ExternalId* x) { x->mutable_stamp()->set_node("bad node/.."); },
            "record.external_ids[1].stamp.node"},
       }) {
    // One bad element among good ones refuses the whole delta.
    v1::Record d = ExternalIdDelta("pos-mawar", 2);
    b.spoil(d.mutable_external_ids(1));
    ExpectRefused(AdmitFromChild(d, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument, "content", b.field);
  }
  v1::Record twice = ExternalIdDelta("pos-mawar", 2);
  twice.mutable_external_ids(1)->set_value(twice.external_ids(0).value());
  ExpectRefused(AdmitFromChild(twice, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument, "content",
                "record.external_ids[1]: repeats an earlier external id");
  // Only records SATUSEHAT receives carry them.
  v1::Record on_patient = NewPatient("pos-mawar", kMawar);
  *on_patient.add_external_ids() = ExternalIdDelta("pos-mawar").external_ids(0);
  ExpectRefused(AdmitFromChild(on_patient, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.external_ids: only encounters, observations, immunizations and referrals");
  // Not inside the body either: there they are output only.
  v1::Record in_body = ExternalIdDelta("pos-mawar");
  in_body.clear_external_ids();
  *in_body.mutable_created() = S("pos-mawar");
  v1::Encounter* e = in_body.mutable_encounter();
  e->set_patient_id(kId);
  e->set_kind(v1::POSYANDU_SESSION);
  *e->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(kNow - kDay);
  e->add_external_ids()->set_value("x");
  ExpectRefused(AdmitFromChild(in_body, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument,
                "content", "record.encounter.external_ids: is output only");
  // The same time and authorship rules as every other stamp.
  ExpectRefused(AdmitFromChild(ExternalIdDelta("dinkes-kupang"), nullptr, PustuTrust()),
                absl::StatusCode::kPermissionDenied, "authorship", "record.external_ids[0].stamp.node");
  v1::Record future = ExternalIdDelta("pos-mawar");
  future.mutable_external_ids(0)->mutable_stamp()->set_anchor_ms(kYear2100);
  ExpectRefused(AdmitFromChild(future, nullptr, PustuTrust()), absl::StatusCode::kInvalidArgument, "time",
                "record.external_ids[0].stamp.anchor_ms");
}

}  // namespace
}  // namespace ilp
