# spate_cc_library(NAME <target> SRCS <files...> DEPS <targets...> [PUBLIC_DEPS ...])
# One static library per module; explicit sources, no globs (STYLE.md rule 2).
function(spate_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  # BUILD_INTERFACE: a library exported by cmake/install.cmake carries no
  # source-tree path (its installed headers are include/spate/).
  target_include_directories(${ARG_NAME} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE ${SPATE_WARNINGS})
endfunction()

# spate_cc_test(NAME <binary> SRCS <files...> DEPS <targets...>)
# A GoogleTest binary registered with CTest under the "unit" label.
function(spate_cc_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_options(${ARG_NAME} PRIVATE ${SPATE_WARNINGS})
  gtest_discover_tests(${ARG_NAME} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
