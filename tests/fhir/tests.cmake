ilp_test(fhir_builders_test fhir/fhir_builders_test.cc LIBS ilp_fhir)
target_compile_definitions(fhir_builders_test PRIVATE ILP_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
ilp_test(fhir_validate_test fhir/fhir_validate_test.cc LIBS ilp_fhir)

# Every golden resource (the builders' exact output) against the official FHIR
# R4 JSON schema, with the npm validator tests/run.sh installs into
# <build>/fhir-r4-schema before configuring. Never skipped: without node or
# the validator the test fails and says so.
file(GLOB ILP_FHIR_GOLDEN ${CMAKE_CURRENT_SOURCE_DIR}/fhir/golden/*.json)
find_program(ILP_NODE node)
if(NOT ILP_NODE)
  set(ILP_NODE node)  # fails at test time, naming it: run tests/run.sh
endif()
add_test(NAME fhir_r4_schema COMMAND ${ILP_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/fhir/r4-schema/validate.js
  ${ILP_FHIR_GOLDEN})
set_tests_properties(fhir_r4_schema PROPERTIES
  ENVIRONMENT "NODE_PATH=${CMAKE_BINARY_DIR}/fhir-r4-schema/node_modules")
