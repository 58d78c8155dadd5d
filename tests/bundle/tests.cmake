ilp_test(bundle_file_test bundle/bundle_file_test.cc LIBS ilp_bundle)
ilp_test(bundle_import_test bundle/bundle_import_test.cc LIBS ilp_bundle_desk ilp_repl_harness)
