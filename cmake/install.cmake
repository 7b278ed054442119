# Install rules and the Debian package (CPack). Included at the end of the
# top-level CMakeLists.txt, once every target exists.
#
# Components:
#   server  spated, spate-inspect (and `spate` when it exists), the systemd
#           unit, /etc/spate/spated.conf, the README: the `spate` package
#   dev     include/spate/ headers, the client libraries, the `spate` CMake
#           package and spate.pc: the `libspate-dev` package
#   debug   the binaries' debug information (/usr/lib/debug/...): the
#           `spate-dbg` package
#
#   cmake --install build --prefix /usr/local   # everything
#   make package                                # the .deb files (scripts/package.sh)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# ---- the lists to extend -------------------------------------------------
# Executables installed into bin/, stripped, their debug information apart.
# A name that is not (yet) a target is skipped.
set(SPATE_INSTALL_PROGRAMS spated spate-inspect spate)
# Client libraries installed into lib/ and exported as Spate::<name> (the
# target's name without "spate_": Spate::client, Spate::producer,
# Spate::consumer, Spate::kpl) by the CMake package (find_package(Spate)) and
# listed in spate.pc, in link order. The public ones come first; the rest are
# the spate_* libraries they link (static libraries carry their dependencies:
# CMake refuses an export that misses one, naming it).
set(SPATE_INSTALL_LIBRARIES spate_consumer spate_producer spate_client spate_net spate_kpl spate_kpl_proto
                            spate_protocol spate_util spate_base)
# What those libraries link from the system, for SpateConfig.cmake
# (find_dependency() of each package, then each pkg-config module as the
# imported target PkgConfig::<prefix>, as the top-level CMakeLists makes them)
# and for spate.pc (the modules a static link needs).
set(SPATE_INSTALL_FIND_DEPENDENCIES Threads OpenSSL ZLIB Protobuf simdjson PkgConfig)
set(SPATE_INSTALL_PKG_MODULES "CURL=libcurl" "PCRE2=libpcre2-8")
set(SPATE_INSTALL_PC_REQUIRES libcurl libcrypto zlib protobuf simdjson libpcre2-8)
# -------------------------------------------------------------------------

find_program(SPATE_OBJCOPY NAMES objcopy)
option(SPATE_STRIP_INSTALL "Strip installed binaries, with their debug info in lib/debug (objcopy)" ON)

set(SPATE_DEBUG_STAGE ${PROJECT_BINARY_DIR}/debug-info)
foreach(prog IN LISTS SPATE_INSTALL_PROGRAMS)
  if(NOT TARGET ${prog})
    continue()
  endif()
  install(TARGETS ${prog} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
  if(SPATE_STRIP_INSTALL AND SPATE_OBJCOPY)
    # The debug information is taken from the build tree's (unstripped)
    # binary, at install time: objcopy is deterministic, so the copy in the
    # debug component and the one whose CRC the debuglink records are the
    # same bytes. gdb finds it at /usr/lib/debug/usr/bin/<prog>.debug.
    set(debug_file ${SPATE_DEBUG_STAGE}/${prog}.debug)
    install(CODE "
      set(bin \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/${prog}\")
      file(MAKE_DIRECTORY \"${SPATE_DEBUG_STAGE}\")
      execute_process(COMMAND \"${SPATE_OBJCOPY}\" --only-keep-debug \"$<TARGET_FILE:${prog}>\" \"${debug_file}\"
                      COMMAND_ERROR_IS_FATAL ANY)
      execute_process(COMMAND \"${SPATE_OBJCOPY}\" --strip-debug --strip-unneeded \"\${bin}\" COMMAND_ERROR_IS_FATAL ANY)
      execute_process(COMMAND \"${SPATE_OBJCOPY}\" \"--add-gnu-debuglink=${debug_file}\" \"\${bin}\"
                      COMMAND_ERROR_IS_FATAL ANY)
      message(STATUS \"Stripped: \${bin} (debug info: ${prog}.debug)\")"
      COMPONENT server)
    install(CODE "
      file(MAKE_DIRECTORY \"${SPATE_DEBUG_STAGE}\")
      execute_process(COMMAND \"${SPATE_OBJCOPY}\" --only-keep-debug \"$<TARGET_FILE:${prog}>\" \"${debug_file}\"
                      COMMAND_ERROR_IS_FATAL ANY)
      file(INSTALL \"${debug_file}\" DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/debug/\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")"
      COMPONENT debug)
  endif()
endforeach()

# The unit and the config: their paths depend on the prefix chosen at install
# time (/usr for the package: /etc/spate; /usr/local: /usr/local/etc/spate),
# GNUInstallDirs' rule for SYSCONFDIR applied then.
install(CODE "
  if(\"\${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
    set(sysconf /etc)
  else()
    set(sysconf \"\${CMAKE_INSTALL_PREFIX}/etc\")
  endif()
  file(READ \"${PROJECT_SOURCE_DIR}/packaging/spated.service.in\" unit)
  string(REPLACE \"@SPATED@\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/spated\" unit \"\${unit}\")
  string(REPLACE \"@SPATE_CONF@\" \"\${sysconf}/spate/spated.conf\" unit \"\${unit}\")
  string(REPLACE \"@SPATE_DOCDIR@\" \"\${CMAKE_INSTALL_PREFIX}/share/doc/spate\" unit \"\${unit}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/packaging/spated.service\" \"\${unit}\")
  file(INSTALL \"${PROJECT_BINARY_DIR}/packaging/spated.service\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  file(INSTALL \"${PROJECT_SOURCE_DIR}/packaging/spated.conf\" DESTINATION \"\${sysconf}/spate\")
  file(INSTALL \"${PROJECT_SOURCE_DIR}/packaging/spated.logrotate\" DESTINATION \"\${sysconf}/logrotate.d\"
       RENAME spate)"
  COMPONENT server)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT server)

# ---- client headers, libraries, CMake package, pkg-config ----------------
if(EXISTS ${PROJECT_SOURCE_DIR}/include/spate)
  install(DIRECTORY include/spate DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
          FILES_MATCHING PATTERN "*.h")
endif()
set(spate_libs)
foreach(lib IN LISTS SPATE_INSTALL_LIBRARIES)
  if(TARGET ${lib})
    list(APPEND spate_libs ${lib})
  endif()
endforeach()
if(spate_libs)
  foreach(lib IN LISTS spate_libs)
    string(REGEX REPLACE "^spate_" "" export_name ${lib})
    set_target_properties(${lib} PROPERTIES EXPORT_NAME ${export_name})
  endforeach()
  install(TARGETS ${spate_libs} EXPORT SpateTargets COMPONENT dev
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  # The static libraries are installed without their debug information
  # (as Debian's -dev packages ship them): RelWithDebInfo objects are mostly
  # DWARF.
  if(SPATE_STRIP_INSTALL AND SPATE_OBJCOPY)
    foreach(lib IN LISTS spate_libs)
      install(CODE "
        set(a \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:${lib}>\")
        execute_process(COMMAND \"${SPATE_OBJCOPY}\" --strip-debug \"\${a}\" COMMAND_ERROR_IS_FATAL ANY)"
        COMPONENT dev)
    endforeach()
  endif()
  install(EXPORT SpateTargets NAMESPACE Spate:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Spate COMPONENT dev)
  set(SPATE_FIND_DEPENDENCY_CALLS "")
  foreach(dep IN LISTS SPATE_INSTALL_FIND_DEPENDENCIES)
    string(APPEND SPATE_FIND_DEPENDENCY_CALLS "find_dependency(${dep})\n")
  endforeach()
  foreach(module IN LISTS SPATE_INSTALL_PKG_MODULES)
    string(REPLACE "=" ";" pair ${module})
    list(GET pair 0 prefix)
    list(GET pair 1 name)
    string(APPEND SPATE_FIND_DEPENDENCY_CALLS
           "if(NOT TARGET PkgConfig::${prefix})\n  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${name})\nendif()\n")
  endforeach()
  configure_package_config_file(cmake/SpateConfig.cmake.in ${PROJECT_BINARY_DIR}/packaging/SpateConfig.cmake
                                INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Spate)
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/packaging/SpateConfigVersion.cmake
                                   COMPATIBILITY SameMinorVersion)
  # find_package(spate) looks for spate-config.cmake: the same package.
  file(WRITE ${PROJECT_BINARY_DIR}/packaging/spate-config.cmake
       "include(\"\${CMAKE_CURRENT_LIST_DIR}/SpateConfig.cmake\")\n")
  file(WRITE ${PROJECT_BINARY_DIR}/packaging/spate-config-version.cmake
       "include(\"\${CMAKE_CURRENT_LIST_DIR}/SpateConfigVersion.cmake\")\n")
  install(FILES ${PROJECT_BINARY_DIR}/packaging/SpateConfig.cmake
                ${PROJECT_BINARY_DIR}/packaging/SpateConfigVersion.cmake
                ${PROJECT_BINARY_DIR}/packaging/spate-config.cmake
                ${PROJECT_BINARY_DIR}/packaging/spate-config-version.cmake
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Spate COMPONENT dev)
  # spate.pc: -l for each library, in link order (the list's).
  set(SPATE_PC_LIBS "")
  foreach(lib IN LISTS spate_libs)
    get_target_property(out ${lib} OUTPUT_NAME)
    if(NOT out)
      set(out ${lib})
    endif()
    string(APPEND SPATE_PC_LIBS " -l${out}")
  endforeach()
  list(JOIN SPATE_INSTALL_PC_REQUIRES " " SPATE_PC_REQUIRES)
  # Relocatable: the prefix is found from where spate.pc is (the package
  # installs to /usr whatever prefix this tree was configured with).
  file(RELATIVE_PATH SPATE_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
  configure_file(cmake/spate.pc.in ${PROJECT_BINARY_DIR}/packaging/spate.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/packaging/spate.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endif()

# ---- the Debian packages (CPack) ------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME spate)
set(CPACK_PACKAGE_VENDOR "Spate")
set(CPACK_PACKAGE_CONTACT "Spate maintainers <spate@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Self-hostable Amazon Kinesis Data Streams and Firehose API server")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server dev debug)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME spate)
set(CPACK_DEBIAN_SERVER_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
# /etc/logrotate.d/spate rotates the access log when logrotate is there.
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "logrotate")
set(CPACK_DEBIAN_SERVER_DESCRIPTION
    "Self-hostable Amazon Kinesis Data Streams and Firehose API server\n spated serves the Kinesis Data Streams and Firehose APIs on one port to\n unchanged AWS clients, keeping records durably on local disk. Includes\n spated.service and spate-inspect.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/conffiles ${PROJECT_SOURCE_DIR}/packaging/postinst
    ${PROJECT_SOURCE_DIR}/packaging/prerm ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libspate-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The static libraries' own dependencies (SPATE_INSTALL_PC_REQUIRES), which
# SpateConfig.cmake finds and spate.pc requires.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libcurl4-openssl-dev | libcurl-dev, libssl-dev, libprotobuf-dev, libsimdjson-dev, libpcre2-dev, pkg-config")
set(CPACK_DEBIAN_DEBUG_PACKAGE_NAME spate-dbg)
set(CPACK_DEBIAN_DEBUG_PACKAGE_SECTION debug)
set(CPACK_DEBIAN_DEBUG_PACKAGE_DEPENDS "spate (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_SERVER_DESCRIPTION "the server, its unit and config")
set(CPACK_COMPONENT_DEV_DESCRIPTION "client headers and libraries")
set(CPACK_COMPONENT_DEBUG_DESCRIPTION "debug information of the server's binaries")
include(CPack)
