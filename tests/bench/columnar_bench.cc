// Micro-benchmark of the sync batch encodings (batch_codec.h, columnar.h): a
// batch of 1,000 recorded visits encoded and decoded as protobuf and as
// columns, zstd included, and the payload bytes per visit of each.
#include <benchmark/benchmark.h>

#include "services/replication/batch_codec.h"
#include "tests/bench/recorded_visits.h"

namespace ilp {
namespace {

constexpr int kVisits = 1000;

v1::ChangeList Batch() {
  v1::ChangeList list;
  for (const v1::Record& r : bench::RecordedVisits(kVisits)) list.add_records(r.SerializeAsString());
  return list;
}

v1::BatchEncoding EncodingOf(const benchmark::State& state) {
  return state.range(0) ? v1::BATCH_ENCODING_COLUMNAR : v1::BATCH_ENCODING_PROTOBUF;
}

void BM_EncodeBatch(benchmark::State& state) {
  const v1::ChangeList list = Batch();
  v1::Batch b;
  for (auto _ : state) {
    if (!EncodeBatchPayload(list, EncodingOf(state), &b).ok()) state.SkipWithError("encode failed");
  }
  if (b.encoding() != EncodingOf(state)) state.SkipWithError("fell back to protobuf");
  state.SetItemsProcessed(state.iterations() * kVisits);
  state.counters["payload_bytes_per_visit"] = static_cast<double>(b.payload().size()) / kVisits;
  state.counters["records_bytes_per_visit"] = static_cast<double>(list.ByteSizeLong()) / kVisits;
}
BENCHMARK(BM_EncodeBatch)->ArgName("columnar")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_DecodeBatch(benchmark::State& state) {
  const v1::ChangeList list = Batch();
  v1::Batch b;
  if (!EncodeBatchPayload(list, EncodingOf(state), &b).ok()) state.SkipWithError("encode failed");
  for (auto _ : state) {
    absl::StatusOr<v1::ChangeList> back = DecodeBatchPayload(b, 64u << 20, nullptr);
    if (!back.ok() || back->records_size() != list.records_size()) {
      state.SkipWithError(back.ok() ? "decode lost records" : std::string(back.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kVisits);
}
BENCHMARK(BM_DecodeBatch)->ArgName("columnar")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ilp

BENCHMARK_MAIN();
