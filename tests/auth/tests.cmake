ilp_test(token_test auth/token_test.cc LIBS ilp_auth)
add_dependencies(token_test ilpctl)
