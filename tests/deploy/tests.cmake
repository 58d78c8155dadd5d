# The Debian package (deploy/packaging.cmake) built, linted, installed into
# and purged from a throwaway root.
add_test(NAME PackageTest COMMAND bash ${CMAKE_SOURCE_DIR}/tests/deploy/package_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(PackageTest PROPERTIES TIMEOUT 300)
