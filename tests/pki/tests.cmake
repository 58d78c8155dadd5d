ilp_test(pki_test pki/ca_test.cc pki/verifier_test.cc pki/pki_test_util.cc LIBS ilp_pki)
add_dependencies(pki_test ilpctl)
