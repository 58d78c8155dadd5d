add_library(ilp_attack_kit STATIC security/attack_kit.cc)
target_link_libraries(ilp_attack_kit PUBLIC ilp_records ilp_replication ilp_store ilp_proto
  ilp_testutil gRPC::grpc++ GTest::gtest)
ilp_test(attack_test security/attack_test.cc LIBS ilp_attack_kit ilp_process_chain ilp_pki PkgConfig::ZSTD)
add_dependencies(attack_test ilp-node ilpctl)
