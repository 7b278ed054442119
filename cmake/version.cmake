# Writes OUT (a header) with the project's version and the git revision of
# SOURCE_DIR when it is a checkout. Run at every build by the spate_version_h
# target (cmake -P); configure_file leaves OUT untouched when nothing changed,
# so a new revision recompiles only src/base/version.cc.
#   cmake -DVERSION=0.1.0 -DSOURCE_DIR=... -DOUT=.../version_gen.h -P version.cmake
set(SPATE_GIT_REVISION "")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE SPATE_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rev_result ERROR_QUIET)
  if(NOT rev_result EQUAL 0)
    set(SPATE_GIT_REVISION "")
  else()
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" diff-index --quiet HEAD --
                    RESULT_VARIABLE dirty_result ERROR_QUIET)
    if(NOT dirty_result EQUAL 0)
      string(APPEND SPATE_GIT_REVISION "-dirty")
    endif()
  endif()
endif()
set(SPATE_VERSION "${VERSION}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/version_gen.h.in" "${OUT}" @ONLY)
