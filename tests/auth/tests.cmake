ilp_test(token_test auth/token_test.cc LIBS ilp_auth)
add_dependencies(token_test ilpctl)
ilp_test(access_test auth/access_test.cc LIBS ilp_node)
ilp_test(audit_replication_test auth/audit_replication_test.cc LIBS ilp_repl_harness)
