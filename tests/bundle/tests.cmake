ilp_test(bundle_file_test bundle/bundle_file_test.cc LIBS ilp_bundle)
