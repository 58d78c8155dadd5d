ilp_test(bundle_file_test bundle/bundle_file_test.cc LIBS ilp_bundle)
ilp_test(bundle_import_test bundle/bundle_import_test.cc LIBS ilp_bundle_desk ilp_repl_harness)
ilp_test(bundle_process_test bundle/bundle_process_test.cc LIBS ilp_process_chain)
add_dependencies(bundle_process_test ilp-node ilpctl)
