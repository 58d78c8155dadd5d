# libFuzzer targets (ILP_FUZZ=ON with clang, which builds every library with
# -fsanitize=fuzzer-no-link,address,undefined); tests/fuzz/run.sh builds and runs them.
if(ILP_FUZZ)
  add_library(ilp_fuzz_support STATIC fuzz/fuzz_node.cc fuzz/session_script.cc fuzz/records_calls.cc)
  target_link_libraries(ilp_fuzz_support PUBLIC ilp_replication ilp_records ilp_testutil)

  set(ILP_FUZZ_TARGETS sync_session_fuzz batch_codec_fuzz columnar_fuzz records_request_fuzz
    config_fuzz bundle_reader_fuzz)
  foreach(t ${ILP_FUZZ_TARGETS})
    add_executable(${t} fuzz/${t}.cc)
    target_link_options(${t} PRIVATE -fsanitize=fuzzer)
  endforeach()
  target_link_libraries(sync_session_fuzz PRIVATE ilp_fuzz_support)
  target_link_libraries(batch_codec_fuzz PRIVATE ilp_fuzz_support)
  target_link_libraries(columnar_fuzz PRIVATE ilp_fuzz_support)
  target_link_libraries(records_request_fuzz PRIVATE ilp_fuzz_support)
  target_link_libraries(config_fuzz PRIVATE ilp_fuzz_support ilp_node)
  target_link_libraries(bundle_reader_fuzz PRIVATE ilp_fuzz_support ilp_bundle)
  add_custom_target(fuzz_targets DEPENDS ${ILP_FUZZ_TARGETS} fuzz_seeds)

  # Regenerates the seed corpora: fuzz_seeds tests/fuzz/corpus
  add_executable(fuzz_seeds fuzz/make_seeds.cc)
  target_link_libraries(fuzz_seeds PRIVATE ilp_fuzz_support)

  # A short run of each target in the suite (tests/run.sh --sanitize, so CI).
  set(ILP_FUZZ_CI_SECONDS 20 CACHE STRING "Seconds each fuzz target runs under ctest")
  foreach(t ${ILP_FUZZ_TARGETS})
    add_test(NAME fuzz.${t}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_one.sh $<TARGET_FILE:${t}>
              ${ILP_FUZZ_CI_SECONDS} ${CMAKE_BINARY_DIR}/fuzz-out)
    set_tests_properties(fuzz.${t} PROPERTIES TIMEOUT 600)
  endforeach()
endif()
