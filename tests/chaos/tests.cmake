# The chaos loop: 20 seeded kills in CI; tests/chaos/run.sh runs long ones.
ilp_test(chaos_test chaos/chaos_test.cc LIBS ilp_process_chain)
add_dependencies(chaos_test ilp-node)
