#include "tests/merge/record_gen.h"

#include "absl/strings/str_cat.h"
#include "storage/merge/merge.h"
#include "storage/merge/view.h"

namespace ilp::testing {
namespace {

const char* kNodes[] = {"pos-a", "pus-b", "pkm-c"};
const char* kExtSystems[] = {"https://satusehat.test/fhir-r4/v1/Encounter", "urn:other"};
const char* kFields[] = {"name", "phone", "address.rt", "address.village_code", "deceased",
                         "birth_date", "sex"};

void SetValue(v1::Patient* p, const std::string& field, int v) {
  if (field == "name") p->set_name(absl::StrCat("name-", v));
  if (field == "phone") p->set_phone(absl::StrCat("0812", v));
  if (field == "address.rt") p->mutable_address()->set_rt(absl::StrCat(v % 20));
  if (field == "address.village_code") p->mutable_address()->set_village_code(absl::StrCat(5371031000 + v % 5));
  if (field == "deceased") p->set_deceased(v % 2 == 0);
  if (field == "birth_date") {
    p->mutable_birth_date()->set_year(1990 + v % 30);
    p->mutable_birth_date()->set_month(1 + v % 12);
    p->mutable_birth_date()->set_day(1 + v % 28);
  }
  if (field == "sex") p->set_sex(static_cast<v1::Sex>(v % 3));
}

}  // namespace

v1::Stamp RecordGen::NextStamp() {
  v1::Stamp s;
  // Few distinct walls, so ties on wall and logical are common.
  s.set_wall_ms(1'790'000'000'000LL + Uniform(0, 6) * 1000);
  s.set_logical(++counter_);
  s.set_node(kNodes[Uniform(0, 2)]);
  // Anchors sometimes far behind (a fast clock) so the effective order matters.
  s.set_anchor_ms(Uniform(0, 3) == 0 ? s.wall_ms() - 40LL * 24 * 3600 * 1000 : s.wall_ms() - 5000);
  return s;
}

std::vector<v1::Record> RecordGen::Deltas(const std::string& id, int n) {
  std::vector<v1::Record> out;
  const int kind = Uniform(0, 2);  // 0 patient, 1 encounter, 2 referral
  v1::Record create;
  create.set_id(id);
  *create.mutable_created() = NextStamp();
  create.set_create_digest("digest");
  if (kind == 0) create.mutable_patient()->mutable_value()->set_name("created");
  if (kind == 1) create.mutable_encounter()->set_patient_id("p1");
  if (kind == 2) {
    create.mutable_referral()->set_reason("weight faltering");
    v1::Move* m = create.add_moves();
    m->set_to_state(v1::SENT);
    *m->mutable_stamp() = create.created();
  }
  out.push_back(create);
  std::vector<v1::Stamp> adds[3];  // per identifier key
  for (int i = 1; i < n; ++i) {
    v1::Record d;
    d.set_id(id);
    const v1::Stamp s = NextStamp();
    if (kind == 0) {
      v1::PatientState* st = d.mutable_patient();
      const int op = Uniform(0, 2);
      if (op == 0) {  // edit one or two fields
        for (int k = 0, m = Uniform(1, 2); k < m; ++k) {
          const std::string f = kFields[Uniform(0, 6)];
          bool dup = false;
          for (const auto& v : st->versions()) dup |= v.field() == f;
          if (dup) continue;
          v1::FieldVersion* v = st->add_versions();
          v->set_field(f);
          *v->mutable_stamp() = s;
          if (Uniform(0, 1)) *v->mutable_base() = out[Uniform(0, i - 1)].created();
          SetValue(st->mutable_value(), f, Uniform(0, 1000));
        }
      } else {
        const int key = Uniform(0, 2);
        v1::SetElement* e = st->add_elements();
        e->set_field(kIdentifiersSet);
        e->set_key(absl::StrCat("NIK:", key));
        if (op == 1 || adds[key].empty()) {
          v1::Identifier idf;
          idf.set_system(v1::NIK);
          idf.set_value(absl::StrCat(key));
          idf.set_verified(Uniform(0, 1));
          e->set_value(idf.SerializeAsString());
          *e->mutable_value_stamp() = s;
          *e->add_adds() = s;
          adds[key].push_back(s);
        } else {  // remove a random subset of the adds seen so far
          for (const auto& a : adds[key]) {
            if (Uniform(0, 1)) *e->add_removes() = a;
          }
        }
      }
    } else if (Uniform(0, 2) == 0) {
      // An external id (e.g. a SATUSEHAT server id) from a small key space,
      // so two nodes often add the same key with different stamps.
      if (kind == 1) d.mutable_encounter();
      if (kind == 2) d.mutable_referral();
      v1::ExternalId* x = d.add_external_ids();
      x->set_system(kExtSystems[Uniform(0, 1)]);
      x->set_value(absl::StrCat("srv-", Uniform(0, 2)));
      *x->mutable_stamp() = s;
    } else if (kind == 1) {
      d.mutable_encounter();
      d.mutable_error()->set_reason(absl::StrCat("mistake ", i));
      *d.mutable_error()->mutable_stamp() = s;
    } else {
      d.mutable_referral();
      v1::Move* m = d.add_moves();
      m->set_to_state(Uniform(2, 6));
      *m->mutable_stamp() = s;
      m->set_note(absl::StrCat("move ", i));
    }
    Canonicalize(&d);
    out.push_back(std::move(d));
  }
  return out;
}

v1::Record RecordGen::RandomState(const std::vector<v1::Record>& pool) {
  v1::Record state;
  bool any = false;
  for (const auto& d : pool) {
    if (Uniform(0, 2) == 0) continue;
    state = Merge(state, d)->record;
    any = true;
  }
  if (!any) state = Merge(v1::Record(), pool[Uniform(0, static_cast<int>(pool.size()) - 1)])->record;
  return state;
}

}  // namespace ilp::testing
