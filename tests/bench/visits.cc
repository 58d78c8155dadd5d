#include "tests/bench/visits.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "storage/util/ids.h"

namespace ilp::bench {
namespace {

const char* const kGiven[] = {"Siti", "Budi", "Maria", "Yohana", "Agus", "Dewi", "Yosef", "Rina",
                              "Fransiska", "Paulus", "Martha", "Kristina"};
const char* const kFamily[] = {"Bria", "Nahak", "Seran", "Tefa", "Manu", "Kase", "Lake", "Nenobais"};

}  // namespace

v1::CreatePatientRequest MakePatient(uint64_t seed, uint64_t i) {
  std::mt19937_64 rng(seed * 1'000'003 + i);
  v1::CreatePatientRequest req;
  v1::Patient* p = req.mutable_patient();
  p->set_name(absl::StrCat(kGiven[rng() % 12], " ", kFamily[rng() % 8]));
  p->mutable_address()->set_village_code(kVillage);
  p->mutable_address()->set_rt(absl::StrCat(1 + rng() % 12));
  p->mutable_address()->set_rw(absl::StrCat(1 + rng() % 4));
  p->set_sex(rng() % 2 ? v1::FEMALE : v1::MALE);
  p->mutable_birth_date()->set_year(2021 + static_cast<int>(rng() % 5));
  p->mutable_birth_date()->set_month(1 + static_cast<int>(rng() % 12));
  p->mutable_birth_date()->set_day(1 + static_cast<int>(rng() % 28));
  return req;
}

v1::RecordEncounterRequest MakeVisit(uint64_t seed, uint64_t i, const std::string& patient_id,
                                     int64_t time_ms) {
  std::mt19937_64 rng(seed * 7'000'003 + i);
  v1::RecordEncounterRequest req;
  v1::Encounter* e = req.mutable_encounter();
  e->set_patient_id(patient_id);
  e->set_kind(v1::POSYANDU_SESSION);
  e->set_life_stage(v1::TODDLER);
  e->set_performer(absl::StrCat("kader ", kGiven[rng() % 12]));
  *e->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(time_ms);
  auto obs = [&](const char* loinc, double value, const char* unit, const char* method) {
    v1::Observation* o = req.add_observations();
    o->set_loinc(loinc);
    o->set_value(value);
    o->set_unit(unit);
    o->set_method(method);
    *o->mutable_time() = e->time();
  };
  obs("29463-7", 6.0 + static_cast<double>(rng() % 900) / 100, "kg", "dacin scale");
  obs("8302-2", 60.0 + static_cast<double>(rng() % 400) / 10, "cm", "length board");
  const int extra = 1 + static_cast<int>(rng() % 3);
  if (extra >= 1) obs("56072-2", 11.0 + static_cast<double>(rng() % 60) / 10, "cm", "MUAC tape");
  if (extra >= 2) obs("9843-4", 40.0 + static_cast<double>(rng() % 80) / 10, "cm", "tape measure");
  if (extra >= 3) obs("8480-6", 90.0 + static_cast<double>(rng() % 40), "mm[Hg]", "sphygmomanometer");
  return req;
}

void GiveClientIds(int64_t now_ms, Random* random, v1::CreatePatientRequest* req) {
  req->mutable_patient()->set_id(NewUuidV7(now_ms, random));
}

void GiveClientIds(int64_t now_ms, Random* random, v1::RecordEncounterRequest* req) {
  req->mutable_encounter()->set_id(NewUuidV7(now_ms, random));
  for (v1::Observation& o : *req->mutable_observations()) o.set_id(NewUuidV7(now_ms, random));
}

}  // namespace ilp::bench
