ilp_test(admin_test admin/admin_test.cc LIBS ilp_repl_harness)
add_dependencies(admin_test ilpctl)
ilp_test(admin_process_test admin/admin_process_test.cc LIBS ilp_testutil ilp_proto)
add_dependencies(admin_process_test ilpctl ilp-node)
