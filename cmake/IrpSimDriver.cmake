# Helpers for compiling WDK-style driver code against irpsim. Available in
# irpsim's own build, after add_subdirectory(irpsim) / FetchContent, and
# after find_package(irpsim CONFIG) (this file is installed with the
# package).
#
# Driver source uses '#pragma alloc_text', multi-character pool tags and
# unused dispatch parameters: none of these may break a -Wall -Werror build.

# Applies irpsim's warning policy for driver code to a target.
function(irpsim_driver_warnings target)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-multichar -Wno-unknown-pragmas
                                             -Wno-unused-parameter)
  endif()
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/IrpSimCMocka.cmake)

# irpsim_add_driver_test(NAME name DRIVER_SOURCES a.c ... TEST_SOURCES t.c ... [LIBRARIES ...])
# Builds the driver sources and the test sources into one executable linked
# with irpsim (and irpsim::win32 when available) and CMocka, and registers it
# with CTest (through CMAKE_CROSSCOMPILING_EMULATOR, e.g. Wine, when
# cross-compiling). CMocka is looked for on first use (IrpSimCMocka.cmake);
# define the target IrpSim::cmocka first to supply your own.
function(irpsim_add_driver_test)
  cmake_parse_arguments(ARG "" "NAME" "DRIVER_SOURCES;TEST_SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "irpsim_add_driver_test: NAME is required")
  endif()
  add_executable(${ARG_NAME} ${ARG_DRIVER_SOURCES} ${ARG_TEST_SOURCES})
  irpsim_driver_warnings(${ARG_NAME})
  target_link_libraries(${ARG_NAME} PRIVATE irpsim::irpsim ${ARG_LIBRARIES})
  if(TARGET irpsim::win32)
    target_link_libraries(${ARG_NAME} PRIVATE irpsim::win32)
  endif()
  irpsim_find_cmocka(REQUIRED)
  target_link_libraries(${ARG_NAME} PRIVATE IrpSim::cmocka)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
endfunction()
