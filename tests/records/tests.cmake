ilp_test(bad_input_test records/bad_input_test.cc LIBS ilp_records)
ilp_test(records_api_test records/records_api_test.cc LIBS ilp_node)
