add_library(ilp_repl_harness STATIC replication/harness.cc)
target_link_libraries(ilp_repl_harness PUBLIC ilp_node ilp_testutil GTest::gtest)
ilp_test(replication_test replication/replication_test.cc LIBS ilp_repl_harness)
