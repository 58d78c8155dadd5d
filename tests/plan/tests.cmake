ilp_test(plan_test plan/plan_test.cc LIBS ilp_plan ilp_proto)
target_compile_definitions(plan_test PRIVATE ILP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_dependencies(plan_test ilp-node)
