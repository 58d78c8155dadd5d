// Generated ILP visits for benchmarks: patients of one village and posyandu
// encounters with 3-5 observations each, deterministic from a seed.
#ifndef ILP_TESTS_BENCH_VISITS_H_
#define ILP_TESTS_BENCH_VISITS_H_

#include <cstdint>
#include <string>

#include "ilp/v1/records_service.pb.h"
#include "storage/util/random.h"

namespace ilp::bench {

inline constexpr char kVillage[] = "5371031001";  // Kelurahan Oetete, Kota Kupang

// Patient number `i` (a child or a mother of the village).
v1::CreatePatientRequest MakePatient(uint64_t seed, uint64_t i);

// Visit number `i` of `patient_id`: a posyandu session with weight, height
// and 1-3 of MUAC, head circumference, blood pressure; taken at `time_ms`.
v1::RecordEncounterRequest MakeVisit(uint64_t seed, uint64_t i, const std::string& patient_id,
                                     int64_t time_ms);

// Gives the patient, encounter and observations of `req` the random UUIDv7
// ids an app that makes its own ids (for retry safety) would send, made at
// `now_ms`.
void GiveClientIds(int64_t now_ms, Random* random, v1::CreatePatientRequest* req);
void GiveClientIds(int64_t now_ms, Random* random, v1::RecordEncounterRequest* req);

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_VISITS_H_
