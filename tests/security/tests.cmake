add_library(ilp_attack_kit STATIC security/attack_kit.cc security/attack_fixture.cc)
target_link_libraries(ilp_attack_kit PUBLIC ilp_records ilp_replication ilp_store ilp_proto
  ilp_process_chain ilp_testutil gRPC::grpc++ GTest::gtest)
foreach(t attack_transport_test attack_sync_test attack_resource_test log_privacy_test)
  ilp_test(${t} security/${t}.cc LIBS ilp_attack_kit ilp_process_chain ilp_pki PkgConfig::ZSTD)
  add_dependencies(${t} ilp-node ilpctl)
endforeach()
