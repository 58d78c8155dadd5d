ilp_test(backup_process_test backup/backup_process_test.cc LIBS ilp_process_chain)
add_dependencies(backup_process_test ilp-node ilpctl)
