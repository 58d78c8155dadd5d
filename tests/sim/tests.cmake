# The deterministic district simulation (tests/sim/simulation.h).
add_library(ilp_sim STATIC sim/sim_fs.cc sim/memory_link.cc sim/district.cc sim/workload.cc
  sim/invariants.cc sim/simulation.cc)
target_link_libraries(ilp_sim PUBLIC ilp_node)
add_executable(ilp-sim sim/sim_main.cc)
target_link_libraries(ilp-sim PRIVATE ilp_sim)
ilp_test(sim_test sim/sim_test.cc LIBS ilp_sim)
