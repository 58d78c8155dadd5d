ilp_test(crash_test storage/crash_test.cc LIBS ilp_store ilp_proto gRPC::grpc++)
add_dependencies(crash_test ilp-node)
ilp_test(store_test storage/store_test.cc LIBS ilp_store)
ilp_test(group_commit_test storage/group_commit_test.cc LIBS ilp_store)
ilp_test(fault_test storage/fault_test.cc LIBS ilp_store)
# Mounts a small tmpfs: needs root (skips, saying so, otherwise).
ilp_test(fault_process_test storage/fault_process_test.cc LIBS ilp_process_chain)
add_dependencies(fault_process_test ilp-node ilpctl)
ilp_test(pending_test storage/pending_test.cc LIBS ilp_store)
