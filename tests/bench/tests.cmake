# Benchmarks: built with the project, never run by ctest (docs/performance.md).
add_library(ilp_bench_lib STATIC bench/link_proxy.cc bench/visits.cc bench/chain.cc bench/baselines.cc
  bench/store_size.cc)
target_link_libraries(ilp_bench_lib PUBLIC ilp_store ilp_replication ilp_proto ilp_testutil gRPC::grpc++ PkgConfig::ZSTD
  absl::time absl::strings)
add_executable(ilp-bench bench/ilp_bench.cc bench/status_bench.cc bench/memory_sampler.cc)
target_link_libraries(ilp-bench PRIVATE ilp_bench_lib ilp_admin ilp_metrics)
add_dependencies(ilp-bench ilp-node)

find_package(benchmark REQUIRED)
add_executable(merge_bench bench/merge_bench.cc)
target_link_libraries(merge_bench PRIVATE ilp_merge ilp_record_gen benchmark::benchmark)
add_library(ilp_bench_records STATIC bench/recorded_visits.cc)
target_link_libraries(ilp_bench_records PUBLIC ilp_records ilp_bench_lib)
add_executable(apply_bench bench/apply_bench.cc)
target_link_libraries(apply_bench PRIVATE ilp_bench_records benchmark::benchmark)
# The batch encodings: bytes and time to encode and decode (docs/performance.md).
add_executable(columnar_bench bench/columnar_bench.cc)
target_link_libraries(columnar_bench PRIVATE ilp_bench_records ilp_replication benchmark::benchmark)
# GetPatient with and without the audit trail (docs/performance.md).
add_executable(read_audit_bench bench/read_audit_bench.cc)
target_link_libraries(read_audit_bench PRIVATE ilp_access ilp_bench_lib benchmark::benchmark)
# A bundle against a session for the same visits (docs/performance.md, "Bundles").
add_executable(bundle_bench bench/bundle_bench.cc)
target_link_libraries(bundle_bench PRIVATE ilp_bundle_desk ilp_repl_harness ilp_bench_lib)

# The tool itself works (small runs, no timings asserted).
ilp_test(bench_smoke_test bench/bench_smoke_test.cc LIBS ilp_proto absl::strings)
add_dependencies(bench_smoke_test ilp-bench ilp-node merge_bench apply_bench columnar_bench read_audit_bench store_tune)
# Commit-to-event delay of a following WatchChanges stream (docs/performance.md).
add_executable(watch_bench bench/watch_bench.cc)
target_link_libraries(watch_bench PRIVATE ilp_node ilp_bench_lib)
# A store's size and point-read time by block size and zstd level (docs/performance.md, "Disk: larger blocks").
add_executable(store_tune bench/store_tune.cc)
target_link_libraries(store_tune PRIVATE RocksDB::rocksdb)
