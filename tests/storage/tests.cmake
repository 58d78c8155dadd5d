ilp_test(crash_test storage/crash_test.cc LIBS ilp_store ilp_proto gRPC::grpc++)
add_dependencies(crash_test ilp-node)
ilp_test(store_test storage/store_test.cc LIBS ilp_store)
