# The Debian package (docs/deployment.md): `cmake --build build --target
# package`, or deploy/package.sh. Runtime dependencies come from
# dpkg-shlibdeps, not from a hand-kept list.
install(TARGETS ilp-node ilpctl RUNTIME DESTINATION bin)
# Full RELRO for the shipped binaries, as Debian's hardening flags would give.
foreach(bin ilp-node ilpctl)
  target_link_options(${bin} PRIVATE -Wl,-z,relro -Wl,-z,now)
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/ilp-node.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/ilp-sync.sysusers DESTINATION lib/sysusers.d
        RENAME ilp-sync.conf)
set(ILP_DOC share/doc/ilp-sync)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/debian/copyright ${CMAKE_SOURCE_DIR}/docs/operations.md
              ${CMAKE_SOURCE_DIR}/docs/deployment.md ${CMAKE_SOURCE_DIR}/docs/security.md
        DESTINATION ${ILP_DOC})
install(FILES ${CMAKE_SOURCE_DIR}/deploy/examples/belu.textproto DESTINATION ${ILP_DOC}/examples)
# A native package's changelog, compressed as Debian policy wants.
set(ILP_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${ILP_CHANGELOG_GZ}
  COMMAND gzip -9nc ${CMAKE_SOURCE_DIR}/deploy/debian/changelog > ${ILP_CHANGELOG_GZ}
  DEPENDS ${CMAKE_SOURCE_DIR}/deploy/debian/changelog)
add_custom_target(ilp_changelog ALL DEPENDS ${ILP_CHANGELOG_GZ})
install(FILES ${ILP_CHANGELOG_GZ} DESTINATION ${ILP_DOC})

# Manual pages from each binary's --help (help2man), so they cannot drift.
foreach(bin ilp-node ilpctl)
  set(page ${CMAKE_BINARY_DIR}/man/${bin}.1.gz)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND help2man -N --version-string=${PROJECT_VERSION} "--name=$<IF:$<STREQUAL:${bin},ilpctl>,operate an ILP sync node,ILP health record sync node>"
            $<TARGET_FILE:${bin}> | gzip -9n > ${page}
    DEPENDS ${bin} VERBATIM)
  list(APPEND ILP_MAN_PAGES ${page})
endforeach()
add_custom_target(ilp_man_pages ALL DEPENDS ${ILP_MAN_PAGES})
install(FILES ${ILP_MAN_PAGES} DESTINATION share/man/man1)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ilp-sync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "ilp-sync team <team@ilp-sync.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "health record sync for Indonesia's integrated primary care")
set(CPACK_PACKAGE_DESCRIPTION "ilp-sync replicates patient and visit records between the tiers of
Indonesia's Integrated Primary Care (posyandu, pustu, puskesmas, district
health office) over links that are up minutes a day, with conflict-free
merges and TLS between every tier.

This package holds the node daemon ilp-node with its systemd unit, and the
operator CLI ilpctl.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# ca-certificates: the SATUSEHAT exporter verifies the platform against the system store.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/debian/postinst ${CMAKE_SOURCE_DIR}/deploy/debian/prerm
    ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
