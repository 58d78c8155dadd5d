ilp_test(bad_input_test records/bad_input_test.cc records/bad_input_support.cc records/bad_cases_patients.cc
  records/bad_cases_visits.cc records/bad_cases_referrals.cc LIBS ilp_records)
ilp_test(records_api_test records/records_api_test.cc LIBS ilp_node)
ilp_test(records_watch_test records/records_watch_test.cc LIBS ilp_node)
ilp_test(replay_test records/replay_test.cc LIBS ilp_records)
