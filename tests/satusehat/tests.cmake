# The SATUSEHAT-like endpoint of the exporter's end-to-end tests is
# satusehat/server/server.js, on npm packages (pinned by its lockfile) that
# tests/run.sh installs into <build>/satusehat-server before configuring;
# FakeSatusehat starts it with node. Never skipped: without node or the
# packages the tests fail and say so.
find_program(ILP_NODE node)
set(ILP_SATUSEHAT_NODE ${ILP_NODE})
if(NOT ILP_NODE)
  set(ILP_SATUSEHAT_NODE node)  # looked up on PATH at test time, failing there if absent
endif()
add_library(ilp_fake_satusehat STATIC satusehat/fake_satusehat.cc)
target_compile_definitions(ilp_fake_satusehat PRIVATE ILP_NODE="${ILP_SATUSEHAT_NODE}"
  ILP_SATUSEHAT_SERVER_JS="${CMAKE_CURRENT_SOURCE_DIR}/satusehat/server/server.js"
  ILP_SATUSEHAT_SERVER_MODULES="${CMAKE_BINARY_DIR}/satusehat-server/node_modules")
target_link_libraries(ilp_fake_satusehat PUBLIC ilp_satusehat nlohmann_json::nlohmann_json absl::strings absl::time
  GTest::gtest)
ilp_test(satusehat_exporter_test satusehat/exporter_test.cc LIBS ilp_node ilp_fake_satusehat)
target_compile_definitions(satusehat_exporter_test PRIVATE ILP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
ilp_test(satusehat_exporter_bundle_test satusehat/exporter_bundle_test.cc LIBS ilp_node ilp_fake_satusehat)
target_compile_definitions(satusehat_exporter_bundle_test PRIVATE ILP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
ilp_test(satusehat_chain_test satusehat/chain_test.cc LIBS ilp_repl_harness ilp_fake_satusehat)
ilp_test(satusehat_one_exporter_test satusehat/one_exporter_test.cc LIBS ilp_repl_harness ilp_fake_satusehat ilp_config)
ilp_test(satusehat_config_test satusehat/config_test.cc LIBS ilp_config)
ilp_test(satusehat_export_queue_test satusehat/export_queue_test.cc LIBS ilp_satusehat)
ilp_test(satusehat_server_test satusehat/server_test.cc LIBS ilp_fake_satusehat)
